package dev.lcm4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.ConfigBinder;
import dev.lcm4j.config.DatasetConfig;
import dev.lcm4j.data.AffixVectors;
import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.DatacardRegistry;
import dev.lcm4j.data.Dataset;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmDataLoader;
import dev.lcm4j.data.LcmParquetWriter;
import dev.lcm4j.data.LoaderOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/** Training data entries become datasets with their options; a card's fields apply unless the config sets them. */
class TrainingDatasetsTest {
    @TempDir
    Path tmp;
    Path cards;

    /** d-0..d-7 with (i % 4) + 1 sentences, row groups of 2, in split=train. */
    @BeforeEach
    void data() throws Exception {
        DataColumns cols = DataColumns.sonar("text_sentences").withId("id");
        for (String name : List.of("main", "other")) {
            List<Document> docs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int len = i % 4 + 1;
                List<String> s = new ArrayList<>();
                float[][] e = new float[len][];
                for (int j = 0; j < len; j++) {
                    s.add(name + " " + i + " " + j);
                    e[j] = new float[] {i, j};
                }
                docs.add(new Document(name + "-" + i, s, e));
            }
            LcmParquetWriter.write(tmp.resolve(name + "/split=train/part-0.parquet"), cols, 2, 2, docs);
        }
        cards = Files.createDirectories(tmp.resolve("cards"));
    }

    private DatacardRegistry registry(String yaml) throws Exception {
        Files.writeString(cards.resolve("cards.yaml"), yaml);
        return DatacardRegistry.load(List.of(cards));
    }

    @SuppressWarnings("unchecked")
    private static DatasetConfig config(String yaml) {
        return ConfigBinder.bind((Map<String, Object>) new Yaml().load(yaml), DatasetConfig.class, "trainer.training_data[0]");
    }

    private static List<String> ids(Dataset ds) {
        LcmDataLoader l = new LcmDataLoader(List.of(ds), LoaderOptions.builder().expectedDim(2).nbEpochs(1).shuffle(false)
                .orderByLength(false).batchSize(100).build(), AffixVectors.NONE);
        List<String> out = new ArrayList<>();
        while (l.hasNext()) for (Document d : l.next()) out.add(d.id());
        return out;
    }

    private static final String CARD = """
            name: wiki
            parquet_path: ../main
            source_column: text_sentences_sonar_emb
            source_text_column: text_sentences
            id_column: id
            filters: 'pc.less(pc.list_value_length(pc.field("text_sentences")), 3)'
            limit: {nb_fragments: 3}
            """;

    @Test
    void cardOptionsApplyAndConfigFieldsWin() throws Exception {
        DatacardRegistry reg = registry(CARD);
        // card: fewer than 3 sentences (i % 4 in {0, 1}) among the first 3 row groups (d-0..d-5): d-0, d-1, d-4, d-5
        Dataset fromCard = TrainingRun.dataset(reg, config("name: wiki=train"), "trainer.training_data[0]");
        assertEquals(List.of("main-0", "main-1", "main-4", "main-5"), ids(fromCard.withColumns(fromCard.columns().withId("id"))));
        // the config's filters and limit replace the card's: every row with text, the first 2 row groups (d-0..d-3)
        Dataset own = TrainingRun.dataset(reg, config("""
                name: wiki=train
                filters: 'pc.is_valid(pc.field("text_sentences"))'
                partition_filters: '[("split", "=", "train")]'
                limit: {nb_rows: 4}
                """), "p");
        assertEquals(List.of("main-0", "main-1", "main-2", "main-3"), ids(own.withColumns(own.columns().withId("id"))));
        // parquet_path and columns overrides: another directory
        Dataset moved = TrainingRun.dataset(reg, config("name: wiki=train\nparquet_path: " + tmp.resolve("other")
                + "\nsource_text_column: text_sentences\nlimit: {nb_files: 1, nb_fragments: 1}\n"), "p");
        assertEquals(List.of("other-0", "other-1"), ids(moved.withColumns(moved.columns().withId("id"))));
        // the weight of the reference syntax
        assertEquals(0.25, TrainingRun.dataset(reg, config("name: wiki=train\nweight: 0.25"), "p").weight());
    }

    @Test
    void unimplementedOptionsAreRefusedByName() throws Exception {
        DatacardRegistry reg = registry(CARD);
        for (String[] c : new String[][] {{"nb_parallel_fragments: 4", "trainer.training_data[0].nb_parallel_fragments"},
                {"split_to_row_groups: false", "trainer.training_data[0].split_to_row_groups"},
                {"columns: [x]", "trainer.training_data[0].columns"},
                {"filesystem: s3", "trainer.training_data[0].filesystem"},
                {"silent_freeze: true", "trainer.training_data[0].silent_freeze"}}) {
            LcmException e = assertThrows(LcmException.class,
                    () -> TrainingRun.dataset(reg, config("name: wiki=train\n" + c[0]), "trainer.training_data[0]"));
            assertTrue(e.getMessage().startsWith(c[1]), e.getMessage());
        }
        LcmException e = assertThrows(LcmException.class, () -> TrainingRun.dataset(reg,
                config("name: wiki=train\nfilters: 'pc.utf8_length(pc.field(\"t\")) > 1'"), "trainer.training_data[0]"));
        assertTrue(e.getMessage().startsWith("trainer.training_data[0].filters"), e.getMessage());
        e = assertThrows(LcmException.class, () -> TrainingRun.dataset(reg,
                config("name: wiki=train\nsource_quality_range: [0.5, 1.0]"), "trainer.training_data[0]"));
        assertTrue(e.getMessage().contains("source_quality_column"), e.getMessage());
    }

    @Test
    void aDatacardOptionOfTheWrongTypeNamesTheKeyAndTheCard() throws Exception {
        // one wording for every key, whichever check finds it: what was expected, then the type and value found
        for (String[] bad : new String[][] {{"limit: 5", "key 'limit' must be a mapping, got an integer 5"},
                {"source_quality_range: high", "key 'source_quality_range' must be a list of numbers, got a string high"},
                {"sharding_in_memory: sometimes", "key 'sharding_in_memory' must be true or false, got a string sometimes"},
                {"filters: [1, 2]", "key 'filters' must be a string, got a list [1, 2]"},
                {"weight: heavy", "key 'weight' must be a number, got a string heavy"}}) {
            LcmException e = assertThrows(LcmException.class,
                    () -> registry("name: wiki\nparquet_path: ../main\nsource_column: e\n" + bad[0] + "\n"));
            assertTrue(e.getMessage().startsWith("datacard 'wiki' in " + cards.resolve("cards.yaml").toAbsolutePath()), e.getMessage());
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
        // a nested field of the wrong type is named with its path
        LcmException e = assertThrows(LcmException.class, () -> TrainingRun.dataset(
                registry("name: wiki\nparquet_path: ../main\nsource_column: e\nlimit: {nb_rows: many}\n"), config("name: wiki"), "p"));
        assertTrue(e.getMessage().contains("datacard 'wiki'") && e.getMessage().contains("nb_rows"), e.getMessage());
    }
}
