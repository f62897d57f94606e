package dev.lcm4j.prepare;

import dev.lcm4j.data.AffixVectors;
import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.data.DataCard;
import dev.lcm4j.data.DatacardRegistry;
import dev.lcm4j.data.Dataset;
import dev.lcm4j.data.LcmDataLoader;
import dev.lcm4j.data.LoaderOptions;
import dev.lcm4j.data.StringColumnReader;
import dev.lcm4j.text.SentenceSplitters;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code prepare --input europarl --lang eng_Latn} end to end, then the dataset through the trainer's loader by its
 * datacard name, as {@code ++trainer.training_data=[{name: NAME=train}]} reaches it.
 */
class EuroparlPrepareTest {
    @TempDir Path tmp;

    @Test
    void englishSubsetLoadsInTheTrainersLoader() throws Exception {
        // independent reader: line number -> (title, text)
        Map<String, String[]> lines = new HashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(
                getClass().getResourceAsStream(EuroparlSource.RESOURCE)), StandardCharsets.UTF_8))) {
            int n = 0;
            for (String line; (line = r.readLine()) != null; ) lines.put(Integer.toString(++n), line.split("\t", 3));
        }
        Path out = tmp.resolve("ep");
        PrepareOptions opt = PrepareOptions.defaults(new SourceSpec("europarl", null, "text", null, null), out,
                "europarl_en_test", "eng_Latn").withMaxDocs(60).withShardSize(25).withValidationFraction(0.2);
        Preparer.Result r = new Preparer(opt, new HashingEncoder(16), SentenceSplitters.create("icu")).run((i, d, s, x) -> { });
        assertEquals(60, r.documents().values().stream().mapToLong(Long::longValue).sum());
        assertEquals(3, r.shards());
        assertTrue(r.filteredLanguage() > 500, "the other 20 languages are filtered out: " + r.filteredLanguage());

        // every row: id = line number, text = that line's text with paragraph runs as line breaks; English by title
        int labelled = 0;
        List<Path> files;
        try (Stream<Path> s = Files.walk(out)) {
            files = s.filter(p -> p.toString().endsWith(".parquet")).toList();
        }
        for (Path f : files) {
            try (StringColumnReader sr = new StringColumnReader(f, List.of("id", "text"))) {
                for (int g = 0; g < sr.rowGroupCount(); g++) {
                    Map<String, List<String>> rows = sr.readRowGroup(g);
                    for (int i = 0; i < rows.get("id").size(); i++) {
                        String[] line = lines.get(rows.get("id").get(i));
                        assertEquals(line[2].strip().replaceAll(" {2,}", "\n"), rows.get("text").get(i));
                        String label = EuroparlLanguageIdTest.TITLES.get(line[0]);
                        if (label != null) {
                            labelled++;
                            assertEquals("eng_Latn", label, "title " + line[0]);
                        }
                    }
                }
            }
        }
        assertTrue(labelled > 0);

        DataCard card = DatacardRegistry.parse(out.resolve("datacard.yaml")).get(0);
        assertEquals("eng_Latn", card.extra().get("lang"));
        DatacardRegistry reg = DatacardRegistry.load(List.of(out));
        long trainDocs = 0;
        for (String split : new String[] {"train", "validation"}) {
            Dataset ds = reg.resolve("europarl_en_test=" + split);
            LcmDataLoader loader = new LcmDataLoader(List.of(ds),
                    LoaderOptions.builder().maxTokens(256).nbEpochs(1).expectedDim(16).build(), AffixVectors.NONE);
            long docs = 0;
            while (loader.hasNext()) docs += loader.next().size();
            assertEquals(r.documents().get(split), docs, split);
            trainDocs += docs;
        }
        assertEquals(60, trainDocs);
    }
}
