package dev.lcm4j.data;

import dev.lcm4j.LcmException;
import dev.lcm4j.cards.CardSearchPath;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Finds dataset cards: every {@code *.yaml} / {@code *.yml} directly in {@code ./datacards/} and in each directory of
 * {@code LCM_CARDS_PATH} (colon-separated), each file holding one or more YAML documents. Names must be unique across
 * all files, since a silently shadowed card would train on the wrong data.
 */
public final class DatacardRegistry {
    private final Map<String, DataCard> cards;
    private final List<Path> searched;

    private DatacardRegistry(Map<String, DataCard> cards, List<Path> searched) {
        this.cards = cards;
        this.searched = searched;
    }

    /** {@code <cwd>/datacards} then the directories of {@code LCM_CARDS_PATH} in {@code env}. */
    public static List<Path> searchPath(Map<String, String> env, Path cwd) {
        return CardSearchPath.directories("datacards", env, cwd);
    }

    /** The registry for this process: {@code ./datacards} and {@code $LCM_CARDS_PATH}. */
    public static DatacardRegistry fromEnvironment() {
        return load(searchPath(CardSearchPath.environment(), Path.of("").toAbsolutePath()));
    }

    /** Loads every card file in {@code dirs}; directories that do not exist are skipped. */
    public static DatacardRegistry load(List<Path> dirs) {
        Map<String, DataCard> cards = new TreeMap<>();
        for (Path dir : dirs) {
            for (Path f : CardSearchPath.yamlFiles(dir)) {
                for (DataCard c : parse(f)) {
                    DataCard old = cards.putIfAbsent(c.name(), c);
                    if (old != null) {
                        throw new LcmException("datacard '" + c.name() + "' is defined twice: in " + old.file()
                                + " and in " + c.file() + "; rename or remove one");
                    }
                }
            }
        }
        return new DatacardRegistry(cards, List.copyOf(dirs));
    }

    /** Parses one multi-document card file. */
    public static List<DataCard> parse(Path file) {
        List<DataCard> out = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            Yaml yaml = new Yaml(new SafeConstructor(new org.yaml.snakeyaml.LoaderOptions()));
            int index = 0;
            for (Object doc : yaml.loadAll(r)) {
                index++;
                if (doc == null) continue;
                if (!(doc instanceof Map<?, ?> map)) {
                    throw new LcmException("datacard file " + file + ": document " + index + " is not a mapping");
                }
                // model cards (model_family) may share a directory on LCM_CARDS_PATH with datacards
                if (map.containsKey("model_family") && !map.containsKey("parquet_path")) continue;
                out.add(card(file, index, map));
            }
        } catch (IOException e) {
            throw new LcmException("cannot read datacard file " + file + ": " + e.getMessage(), e);
        } catch (YAMLException e) {
            throw new LcmException("invalid YAML in datacard file " + file + ": "
                    + e.getMessage().replaceAll("\\s+", " "), e);
        }
        return out;
    }

    /** Card keys that lcm4j reads as text; any other type there is refused by name. */
    static final List<String> TEXT_KEYS = List.of("source_column", "source_text_column", "target_column",
            "target_text_column", "source_prefix_text", "source_suffix_text", "target_prefix_text", "target_suffix_text",
            "concept_encoder", "lang", "filters", "partition_filters", "source_quality_column");

    private static DataCard card(Path file, int index, Map<?, ?> map) {
        Map<String, Object> fields = new LinkedHashMap<>();
        map.forEach((k, v) -> fields.put(String.valueOf(k), v));
        Object name = fields.remove("name");
        if (name == null) throw new LcmException("datacard file " + file + ": document " + index + " has no name");
        if (!(name instanceof String)) {
            throw new LcmException("datacard file " + file + ": document " + index + " has a name of type " + DataCard.typeOf(name)
                    + " (" + name + "); write it as a string");
        }
        String card = (String) name;
        Object path = fields.remove("parquet_path");
        Map<String, String> paths = new LinkedHashMap<>();
        if (path instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getValue() instanceof String v)) {
                    throw DataCard.wrongType(card, file, "parquet_path." + e.getKey(), e.getValue(), "a path (string)");
                }
                paths.put(String.valueOf(e.getKey()), v);
            }
        } else if (path instanceof String p) {
            paths.put("local", p);
        } else if (path != null) {
            throw DataCard.wrongType(card, file, "parquet_path", path, "a path or a mapping cluster: path");
        }
        if (paths.isEmpty()) {
            throw new LcmException("datacard '" + name + "' in " + file + " has no parquet_path");
        }
        for (String k : TEXT_KEYS) {
            Object v = fields.get(k);
            if (v != null && !(v instanceof String)) throw DataCard.wrongType(card, file, k, v, "a string");
        }
        Object weight = fields.get("weight");
        if (weight != null && !(weight instanceof Number)) throw DataCard.wrongType(card, file, "weight", weight, "a number");
        Object dim = fields.get("dim");
        if (dim != null && !(dim instanceof Integer)) throw DataCard.wrongType(card, file, "dim", dim, "an integer");
        DataCard dataCard = new DataCard(card, Map.copyOf(paths), (String) fields.remove("source_column"),
                (String) fields.remove("source_text_column"), (String) fields.remove("target_column"),
                (String) fields.remove("target_text_column"), fields, file.toAbsolutePath());
        // the structured fields are checked now, so a wrong type is reported when the cards load
        dataCard.map("limit");
        dataCard.numbers("source_quality_range");
        dataCard.list("source_sequences");
        dataCard.list("target_sequences");
        dataCard.bool("sharding_in_memory");
        return dataCard;
    }

    public Collection<String> names() {
        return cards.keySet();
    }

    public DataCard get(String name) {
        DataCard c = cards.get(name);
        if (c == null) {
            throw new LcmException("unknown datacard '" + name + "'; looked in " + searched + " (add directories with "
                    + "LCM_CARDS_PATH); known: " + (cards.isEmpty() ? "none" : String.join(", ", cards.keySet())));
        }
        return c;
    }

    /** Resolves {@code card[=split][:weight]} to its card, files and weight (local cluster). */
    public Dataset resolve(String reference) {
        DatasetRef ref = DatasetRef.parse(reference);
        DataCard card = get(ref.card());
        double weight = ref.weight() != null ? ref.weight()
                : card.extra().get("weight") instanceof Number n ? n.doubleValue() : 1.0;
        return new Dataset(ref.displayName(), card, ref.split(), weight, card.root("local"), card.columns());
    }
}
