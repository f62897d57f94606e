package dev.lcm4j.cards;

import dev.lcm4j.LcmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where cards are looked up, shared by model cards and datacards: a directory of the working directory
 * ({@code ./cards} for model cards, {@code ./datacards} for datacards), then every directory of {@code LCM_CARDS_PATH}
 * (colon separated) in order. Directories that do not exist are kept in the list (so that error messages can name
 * them) and skipped when reading.
 */
public final class CardSearchPath {
    /** The environment variable (or system property, which wins) listing extra card directories. */
    public static final String VARIABLE = "LCM_CARDS_PATH";

    private CardSearchPath() {}

    /**
     * The process environment, where the system property {@code LCM_CARDS_PATH} (if set) replaces the variable: an
     * embedding application or a test can point the registries elsewhere without changing the environment.
     */
    public static Map<String, String> environment() {
        Map<String, String> env = new HashMap<>(System.getenv());
        String prop = System.getProperty(VARIABLE);
        if (prop != null) env.put(VARIABLE, prop);
        return env;
    }

    /** {@code cwd/localDir} then the directories of {@code LCM_CARDS_PATH} in {@code env}. */
    public static List<Path> directories(String localDir, Map<String, String> env, Path cwd) {
        List<Path> dirs = new ArrayList<>();
        dirs.add(cwd.resolve(localDir));
        String extra = env.get(VARIABLE);
        if (extra != null) {
            for (String p : extra.split(":")) if (!p.isBlank()) dirs.add(Path.of(p.strip()));
        }
        return dirs;
    }

    /** {@link #directories} for this process: relative to the working directory, with {@link #environment()}. */
    public static List<Path> directories(String localDir) {
        return directories(localDir, environment(), Path.of(""));
    }

    /** The {@code *.yaml} / {@code *.yml} files directly in {@code dir}, sorted by name; none if it does not exist. */
    public static List<Path> yamlFiles(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new LcmException("cannot list card directory " + dir + ": " + e.getMessage(), e);
        }
    }
}
