package dev.lcm4j.eval;

import dev.lcm4j.LcmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code --dataset.<field>} options of {@code ./lcm evaluate}, with the reference's "silent freeze" rule: what
 * the user set is final, and a task may only fill fields the user left empty ({@link #taskDefault}). On top of that,
 * a task's prompt template is not applied when the user gave {@code source_sequences}, {@code source_prefix_text} or
 * {@code source_suffix_text}, and task source/target text columns do not replace user {@code source_sequences} /
 * {@code target_sequences} (the JSON dataset config's precedence table). Kept from the reference, silently:
 * docs/quirks.md #26.
 */
public final class DatasetOptions {
    /** One element of {@code source_sequences}: a constant text or the text of a column. */
    public record Sequence(String textValue, String textColumn) {
        public Sequence {
            if ((textValue == null) == (textColumn == null)) {
                throw new LcmException("--dataset.source_sequences items need exactly one of text_value or text_column, e.g. '{\"text_value\": \"[INST]\"}'");
            }
        }
    }

    public static final List<String> FIELDS = List.of("name", "parquet_path", "file_path", "columns", "source_column",
            "source_text_column", "target_column", "target_text_column", "source_prefix_text", "source_suffix_text",
            "target_prefix_text", "target_suffix_text", "source_sequences", "target_sequences", "prompt_template");

    private final Map<String, Object> values = new LinkedHashMap<>();
    private boolean frozen;

    /** A user value (before {@link #freeze}). */
    public DatasetOptions set(String field, Object value) {
        check(field);
        if (frozen) throw new IllegalStateException("dataset options are frozen");
        if (value != null) values.put(field, value);
        return this;
    }

    /** After this, only empty fields can be set, and only by {@link #taskDefault}. */
    public DatasetOptions freeze() {
        frozen = true;
        return this;
    }

    /** A task's default: ignored when the user set the field or a field that takes precedence over it. */
    public void taskDefault(String field, Object value) {
        check(field);
        if (!empty(values.get(field))) return;
        if (field.equals("prompt_template")
                && !(empty(values.get("source_sequences")) && empty(values.get("source_prefix_text")) && empty(values.get("source_suffix_text")))) {
            return;
        }
        if (field.equals("source_text_column") && !empty(values.get("source_sequences"))) return;
        if (field.equals("target_text_column") && !empty(values.get("target_sequences"))) return;
        if (value != null) values.put(field, value);
    }

    public String str(String field) {
        Object v = values.get(field);
        return v == null ? null : String.valueOf(v);
    }

    @SuppressWarnings("unchecked")
    public List<Sequence> sequences(String field) {
        Object v = values.get(field);
        return v == null ? List.of() : (List<Sequence>) v;
    }

    @SuppressWarnings("unchecked")
    public List<String> columns() {
        Object v = values.get("columns");
        return v == null ? List.of() : (List<String>) v;
    }

    public DatasetOptions copy() {
        DatasetOptions c = new DatasetOptions();
        c.values.putAll(values);
        for (Map.Entry<String, Object> e : c.values.entrySet()) {
            if (e.getValue() instanceof List<?> l) e.setValue(new ArrayList<>(l));
        }
        c.frozen = frozen;
        return c;
    }

    /** The values set, for {@code results/<task>.json} configs. */
    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : values.entrySet()) {
            if (e.getValue() instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Sequence) {
                List<Map<String, String>> out = new ArrayList<>();
                for (Object o : l) {
                    Sequence s = (Sequence) o;
                    out.add(s.textValue() != null ? Map.of("text_value", s.textValue()) : Map.of("text_column", s.textColumn()));
                }
                m.put(e.getKey(), out);
            } else {
                m.put(e.getKey(), e.getValue());
            }
        }
        return m;
    }

    private static boolean empty(Object v) {
        return v == null || (v instanceof String s && s.isEmpty()) || (v instanceof List<?> l && l.isEmpty());
    }

    private static void check(String field) {
        if (!FIELDS.contains(field)) {
            throw new LcmException("unknown option --dataset." + field + "; valid: --dataset." + String.join(", --dataset.", FIELDS));
        }
    }
}
