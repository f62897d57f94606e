package dev.lcm4j.config;

import dev.lcm4j.LcmException;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * YAML reading and writing for recipes. SnakeYAML implements YAML 1.1, whose float syntax requires a dot, so
 * {@code 1e-4} or {@code 3e-05} would load as strings; PyYAML (used by the reference through OmegaConf) has the
 * same rule, but OmegaConf then converts them for float fields. lcm4j resolves such scalars as floats directly.
 */
final class Yaml11 {
    private Yaml11() {}

    /** Exponent floats without a dot: {@code 1e-4}, {@code -3E+05}, {@code 2_0e3}. */
    private static final Pattern DOTLESS_EXPONENT_FLOAT = Pattern.compile("^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$");

    private static final class LcmResolver extends Resolver {
        @Override
        protected void addImplicitResolvers() {
            addImplicitResolver(Tag.FLOAT, DOTLESS_EXPONENT_FLOAT, "-+0123456789");
            super.addImplicitResolvers();
        }
    }

    private static Yaml loader() {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        DumperOptions dumper = new DumperOptions();
        return new Yaml(new SafeConstructor(options), new Representer(dumper), dumper, options, new LcmResolver());
    }

    /** Loads a recipe file as a map (empty file → empty map). Errors name the file and the 1-based line. */
    static Map<String, Object> loadFile(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new LcmException("config file not found: " + file);
        } catch (IOException e) {
            throw new LcmException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        Object loaded;
        try {
            loaded = loader().load(text);
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String where = mark != null ? " line " + (mark.getLine() + 1) : "";
            throw new LcmException("malformed YAML in " + file + where + ": " + oneLine(e.getProblem()), e);
        } catch (YAMLException e) {
            throw new LcmException("malformed YAML in " + file + ": " + oneLine(e.getMessage()), e);
        }
        if (loaded == null) return new LinkedHashMap<>();
        if (!(loaded instanceof Map<?, ?> map)) {
            throw new LcmException("config file " + file + " must contain a mapping at the top level");
        }
        return ConfigTree.asStringMap(map, file.toString());
    }

    /**
     * Parses an override value the way a YAML scalar or flow collection is parsed: {@code 1e-4} → Double,
     * {@code true} → Boolean, {@code null} → null, {@code [{name: x=train}]} → list of maps, {@code 'x'} → "x".
     * An empty value is the empty string (as in Hydra).
     */
    static Object parseValue(String raw, String override) {
        if (raw.isEmpty()) return "";
        try {
            Object value = loader().load(raw);
            return value instanceof Map<?, ?> m ? ConfigTree.asStringMap(m, override) : ConfigTree.normalize(value, override);
        } catch (YAMLException e) {
            throw new LcmException("malformed value in override '" + override + "': " + oneLine(e.getMessage()), e);
        }
    }

    /** Block-style YAML, keys in insertion order. */
    static String dump(Object tree) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setIndent(2);
        options.setWidth(120);
        return new Yaml(options).dump(tree);
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\n\\s*", " ").trim();
    }
}
