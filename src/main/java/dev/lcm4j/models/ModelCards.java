package dev.lcm4j.models;

import dev.lcm4j.LcmException;
import dev.lcm4j.cards.CardSearchPath;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import dev.lcm4j.io.AtomicFiles;

/**
 * Finds model cards by name: lcm4j's built-in cards (class path {@code /dev/lcm4j/cards/}), then {@code ./cards/},
 * then every directory on {@code LCM_CARDS_PATH} (colon separated); later definitions of a name win, so users can
 * override a built-in. Files are multi-document YAML; documents without {@code model_family} (e.g. datacards in a
 * shared directory) are skipped.
 */
public final class ModelCards {
    private static final String[] BUILTIN = {"sonar_normalizer.yaml", "placeholders.yaml", "minilm.yaml", "sonar.yaml"};
    private static final String[] BUILTIN_FILES = {"dummy_sonar_normalizer.pt"};
    private final Map<String, ModelCard> cards;
    private final List<String> searched;

    private ModelCards(Map<String, ModelCard> cards, List<String> searched) {
        this.cards = cards;
        this.searched = searched;
    }

    public static ModelCards fromEnvironment() {
        return load(CardSearchPath.directories("cards"));
    }

    public static ModelCards load(List<Path> dirs) {
        Map<String, ModelCard> cards = new LinkedHashMap<>();
        List<String> searched = new ArrayList<>();
        searched.add("built-in cards");
        extractBuiltinFiles();
        for (String res : BUILTIN) {
            try (InputStream in = ModelCards.class.getResourceAsStream("/dev/lcm4j/cards/" + res)) {
                if (in == null) throw new IllegalStateException("built-in card " + res + " is missing from the jar");
                Path virtual = builtinDir().resolve(res);
                for (Map<String, Object> doc : parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), virtual)) add(cards, doc, virtual);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read built-in card " + res, e);
            }
        }
        for (Path dir : dirs) {
            searched.add(dir.toAbsolutePath().toString());
            for (Path f : CardSearchPath.yamlFiles(dir)) {
                try {
                    for (Map<String, Object> doc : parse(Files.readString(f), f)) add(cards, doc, f.toAbsolutePath());
                } catch (IOException e) {
                    throw new LcmException("cannot read card file " + f + ": " + e.getMessage());
                }
            }
        }
        return new ModelCards(cards, searched);
    }

    private static synchronized void extractBuiltinFiles() {
        for (String f : BUILTIN_FILES) {
            Path target = builtinDir().resolve(f);
            if (Files.isRegularFile(target)) continue;
            try (InputStream in = ModelCards.class.getResourceAsStream("/dev/lcm4j/cards/" + f)) {
                if (in == null) continue;
                byte[] bytes = in.readAllBytes();
                AtomicFiles.write(target, out -> out.write(bytes));
            } catch (IOException e) {
                throw new IllegalStateException("cannot extract built-in file " + f, e);
            }
        }
    }

    /** Built-in cards resolve relative checkpoints against the extracted resource folder. */
    static Path builtinDir() {
        return Paths.get(System.getProperty("java.io.tmpdir"), "lcm4j-builtin-cards");
    }

    private static void add(Map<String, ModelCard> cards, Map<String, Object> doc, Path file) {
        if (doc == null || !doc.containsKey("model_family")) return;
        ModelCard c = ModelCard.of(doc, file);
        cards.put(c.name(), c);
    }

    /** Parses a multi-document YAML file; errors name the file and line. */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> parse(String text, Path file) {
        List<Map<String, Object>> docs = new ArrayList<>();
        try {
            for (Object o : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(text)) {
                if (o == null) continue;
                if (!(o instanceof Map)) throw new LcmException("card file " + file + ": every YAML document must be a mapping");
                docs.add((Map<String, Object>) o);
            }
        } catch (MarkedYAMLException e) {
            throw new LcmException("malformed YAML in " + file + " at line " + (e.getProblemMark().getLine() + 1) + ": " + e.getProblem());
        }
        return docs;
    }

    public ModelCard get(String name) {
        ModelCard c = cards.get(name);
        if (c == null) {
            throw new LcmException("unknown model card '" + name + "'; searched " + String.join(", ", searched)
                    + "; known cards: " + String.join(", ", cards.keySet())
                    + ". Put a card YAML in ./cards/ or a directory on LCM_CARDS_PATH, or pass a model_card.yaml path");
        }
        return c;
    }

    public Map<String, ModelCard> all() {
        return cards;
    }

    /**
     * Resolves what users pass as a card: a card name, a path to a card .yaml, a training output directory (its
     * {@code model_card.yaml}) or a {@code .../checkpoints/step_N/model.pt} (the card beside it).
     */
    public static ModelCard resolve(String nameOrPath) {
        Path p = Paths.get(nameOrPath);
        if (Files.isDirectory(p)) {
            Path card = p.resolve("model_card.yaml");
            if (!Files.isRegularFile(card)) throw new LcmException(p + " is a directory without model_card.yaml; pass a training output dir, a card file or a card name");
            return fromFile(card);
        }
        if (nameOrPath.endsWith(".pt")) {
            if (!Files.isRegularFile(p)) throw new LcmException("checkpoint " + p + " does not exist");
            Path card = p.resolveSibling("model_card.yaml");
            if (!Files.isRegularFile(card)) throw new LcmException("no model_card.yaml next to " + p + "; pass the card instead");
            // the file the user named is the one that is loaded, whatever the card beside it says
            return fromFile(card).withCheckpoint(p.toAbsolutePath().toString());
        }
        if (nameOrPath.endsWith(".yaml") || nameOrPath.endsWith(".yml")) {
            if (!Files.isRegularFile(p)) throw new LcmException("model card file " + p + " does not exist");
            return fromFile(p);
        }
        return fromEnvironment().get(nameOrPath);
    }

    public static ModelCard fromFile(Path file) {
        try {
            List<Map<String, Object>> docs = parse(Files.readString(file), file);
            if (docs.isEmpty() || !docs.get(0).containsKey("model_family")) {
                throw new LcmException("model card " + file + " has no model_family; is it a model card?");
            }
            return ModelCard.of(docs.get(0), file.toAbsolutePath());
        } catch (IOException e) {
            throw new LcmException("cannot read model card " + file + ": " + e.getMessage());
        }
    }
}
