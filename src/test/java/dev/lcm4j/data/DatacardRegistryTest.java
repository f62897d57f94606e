package dev.lcm4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.LcmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatacardRegistryTest {
    @TempDir
    Path tmp;

    private static final String CARDS = """
            name: "pretraining_data"
            parquet_path:
              s3: "s3://bucket/wiki_data"
            source_column: "text_sentences_sonar_emb"
            source_text_column: "text_sentences"
            ---
            name: "finetuning_data"
            parquet_path:
              local: "cosmo"
            source_column: prompt_sentences_sonar_emb
            source_text_column: prompt_sentences
            target_column: text_sentences_sonar_emb
            target_text_column: text_sentences
            source_suffix_text: "End of text."
            """;

    @Test
    void referenceSyntax() {
        assertEquals(new DatasetRef("wiki", null, null), DatasetRef.parse("wiki"));
        assertEquals(new DatasetRef("wiki", null, 0.2), DatasetRef.parse("wiki:0.2"));
        assertEquals(new DatasetRef("wiki", "dev", null), DatasetRef.parse("wiki=dev"));
        assertEquals(new DatasetRef("wiki", "dev", 0.2), DatasetRef.parse("wiki=dev:0.2"));
        assertEquals(new DatasetRef("wiki", null, 3.0), DatasetRef.parse("wiki:3"));
        assertThrows(LcmException.class, () -> DatasetRef.parse("wi-ki"));
        assertThrows(LcmException.class, () -> DatasetRef.parse("wiki:x"));
    }

    @Test
    void cardsFromDatacardsDirAndCardsPath() throws IOException {
        Path cwd = Files.createDirectories(tmp.resolve("work"));
        Files.createDirectories(cwd.resolve("datacards"));
        Files.writeString(cwd.resolve("datacards/ref.yaml"), CARDS);
        Path other = Files.createDirectories(tmp.resolve("other"));
        Files.writeString(other.resolve("mine.yaml"), "name: mine\nparquet_path: data/mine\nsource_column: e\n");
        List<Path> path = DatacardRegistry.searchPath(Map.of("LCM_CARDS_PATH", other + ":" + tmp.resolve("nope")), cwd);
        assertEquals(List.of(cwd.resolve("datacards"), other, tmp.resolve("nope")), path);
        DatacardRegistry reg = DatacardRegistry.load(path);
        assertEquals(List.of("finetuning_data", "mine", "pretraining_data"), List.copyOf(reg.names()));

        DataCard ft = reg.get("finetuning_data");
        assertEquals("text_sentences", ft.targetTextColumn());
        assertEquals("End of text.", ft.extra().get("source_suffix_text"));
        assertEquals(cwd.resolve("datacards/cosmo").toAbsolutePath().normalize(), ft.root("local"));

        Dataset mine = reg.resolve("mine=train:0.5");
        assertEquals("mine=train", mine.name());
        assertEquals("train", mine.split());
        assertEquals(0.5, mine.weight());
        assertEquals(other.resolve("data/mine").toAbsolutePath(), mine.root());
        assertNull(mine.columns().sourceText());

        LcmException s3 = assertThrows(LcmException.class, () -> reg.resolve("pretraining_data"));
        assertTrue(s3.getMessage().contains("wiki_data") && s3.getMessage().contains("local"), s3.getMessage());
    }

    @Test
    void unknownCardListsWhereItLookedAndKnownNames() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("cards"));
        Files.writeString(dir.resolve("a.yaml"), "name: alpha\nparquet_path: {local: x}\nsource_column: e\n");
        DatacardRegistry reg = DatacardRegistry.load(List.of(dir, tmp.resolve("missing")));
        LcmException e = assertThrows(LcmException.class, () -> reg.resolve("beta:0.3"));
        assertTrue(e.getMessage().contains("'beta'") && e.getMessage().contains(dir.toString())
                && e.getMessage().contains("missing") && e.getMessage().contains("alpha"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));
    }

    @Test
    void duplicateNamesNameBothFiles() throws IOException {
        Path a = Files.createDirectories(tmp.resolve("a"));
        Path b = Files.createDirectories(tmp.resolve("b"));
        Files.writeString(a.resolve("x.yaml"), "name: same\nparquet_path: p\nsource_column: e\n");
        Files.writeString(b.resolve("y.yml"), "name: same\nparquet_path: q\nsource_column: e\n");
        LcmException e = assertThrows(LcmException.class, () -> DatacardRegistry.load(List.of(a, b)));
        assertTrue(e.getMessage().contains("x.yaml") && e.getMessage().contains("y.yml"), e.getMessage());
    }

    @Test
    void splitSelectsPartitionDirectory() throws IOException {
        Path root = tmp.resolve("ds");
        LcmParquetWriter.write(root.resolve("split=train/part-0.parquet"), DataColumns.sonar("t"), 4, 5,
                LcmParquetIoTest.docs(2));
        LcmParquetWriter.write(root.resolve("split=validation/part-0.parquet"), DataColumns.sonar("t"), 4, 5,
                LcmParquetIoTest.docs(1));
        Dataset ds = Dataset.of("ds", root, DataColumns.sonar("t"), "validation");
        assertEquals(List.of(root.resolve("split=validation/part-0.parquet")), ds.files());
        assertEquals(2, Dataset.of("ds", root, DataColumns.sonar("t"), null).files().size());
        assertThrows(LcmException.class, () -> Dataset.of("ds", root, DataColumns.sonar("t"), "dev").files());
    }

    @Test
    void aKeyOfTheWrongTypeIsOneLineNamingTheKeyAndTheCard() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("typed"));
        String[][] cases = {
                {"weight: heavy", "key 'weight' must be a number, got a string heavy"},
                {"source_column: [a, b]", "key 'source_column' must be a string, got a list [a, b]"},
                {"target_text_column: {x: 1}", "key 'target_text_column' must be a string, got a mapping"},
                {"source_suffix_text: 3", "key 'source_suffix_text' must be a string, got an integer 3"},
                {"concept_encoder: true", "key 'concept_encoder' must be a string, got a boolean true"},
                {"dim: 1.5", "key 'dim' must be an integer, got a number 1.5"},
        };
        for (String[] c : cases) {
            Path f = dir.resolve("card.yaml");
            Files.writeString(f, "name: typed\nparquet_path: {local: x}\nsource_column: e\n".replace("source_column: e\n",
                    c[0].startsWith("source_column") ? "" : "source_column: e\n") + c[0] + "\n");
            LcmException e = assertThrows(LcmException.class, () -> DatacardRegistry.load(List.of(dir)), c[0]);
            assertTrue(e.getMessage().contains("datacard 'typed' in " + f.toAbsolutePath()) && e.getMessage().contains(c[1]),
                    e.getMessage());
            assertTrue(!e.getMessage().contains("\n"));
        }
        Files.writeString(dir.resolve("card.yaml"), "name: typed\nparquet_path: {local: [x]}\nsource_column: e\n");
        LcmException e = assertThrows(LcmException.class, () -> DatacardRegistry.load(List.of(dir)));
        assertTrue(e.getMessage().contains("key 'parquet_path.local' must be a path (string), got a list [x]"), e.getMessage());
        Files.writeString(dir.resolve("card.yaml"), "name: [typed]\nparquet_path: x\nsource_column: e\n");
        e = assertThrows(LcmException.class, () -> DatacardRegistry.load(List.of(dir)));
        assertTrue(e.getMessage().contains("has a name of type a list"), e.getMessage());
        // the types the reference's cards use still load: numbers for weight (integer or not), strings elsewhere
        Files.writeString(dir.resolve("card.yaml"), "name: typed\nparquet_path: {s3: a, local: b}\nsource_column: e\nweight: 2\ndim: 8\n");
        assertEquals(2.0, DatacardRegistry.load(List.of(dir)).resolve("typed").weight());
    }
}
