package dev.lcm4j.config;

import dev.lcm4j.LcmException;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One command-line override in Hydra syntax.
 *
 * @param kind  what the override does
 * @param key   dotted key ({@code trainer.lr}) or config group ({@code pretrain})
 * @param value parsed YAML value; null for {@code ~key} without a value
 * @param hasValue whether a {@code =value} part was given
 * @param text  the override as typed, for error messages
 */
public record ConfigOverride(Kind kind, String key, Object value, boolean hasValue, String text) {

    public enum Kind {
        /** {@code key=value}: change an existing key, or select another option of a config group in the defaults list. */
        SET,
        /** {@code +key=value}: add a key that does not exist yet, or append a config group. */
        ADD,
        /** {@code ++key=value}: set or add. */
        FORCE,
        /** {@code ~key} or {@code ~key=value}: delete a key. */
        DELETE
    }

    private static final Pattern SYNTAX = Pattern.compile(
            "^(\\+\\+|\\+|~)?([A-Za-z_][\\w-]*(?:[./][A-Za-z_][\\w-]*)*)(?:=(.*))?$", Pattern.DOTALL);

    /** Parses one override; malformed syntax is an {@link LcmException} naming the override. */
    public static ConfigOverride parse(String text) {
        Matcher m = SYNTAX.matcher(text);
        if (!m.matches()) {
            throw new LcmException("malformed override '" + text
                    + "': expected key=value, +key=value, ++key=value or ~key (keys are dotted names like trainer.lr)");
        }
        String prefix = m.group(1) == null ? "" : m.group(1);
        Kind kind = switch (prefix) {
            case "++" -> Kind.FORCE;
            case "+" -> Kind.ADD;
            case "~" -> Kind.DELETE;
            default -> Kind.SET;
        };
        String raw = m.group(3);
        if (raw == null && kind != Kind.DELETE) {
            throw new LcmException("malformed override '" + text + "': missing '=value' (write " + prefix
                    + m.group(2) + "=VALUE, or ~" + m.group(2) + " to delete the key)");
        }
        Object value = raw == null ? null : Yaml11.parseValue(raw, text);
        return new ConfigOverride(kind, m.group(2), value, raw != null, text);
    }

    /** Whether the key is a plain name (a candidate config group) rather than a dotted key. */
    boolean isGroupLike() {
        return !key.contains(".");
    }
}
