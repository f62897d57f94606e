package dev.lcm4j.concepts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.lcm4j.LcmException;
import dev.lcm4j.data.Affixes;
import dev.lcm4j.data.DatacardRegistry;
import dev.lcm4j.data.Dataset;
import dev.lcm4j.data.DatasetOptions;
import dev.lcm4j.data.Document;
import dev.lcm4j.data.LcmDataLoader;
import dev.lcm4j.data.LoaderOptions;
import dev.lcm4j.data.SyntheticData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Affix texts are embedded in each dataset's own concept space before the loader sees them. */
class AffixEmbeddingTest {
    @TempDir Path dir;

    @Test
    void suffixIsEmbeddedWithTheDatacardsEncoder() throws Exception {
        SyntheticData.write(dir, "minidata", 6, 384, 1);
        Path card = dir.resolve("datacard.yaml");
        Files.writeString(card, Files.readString(card) + "concept_encoder: all_minilm_l6_v2_q\nlang: eng_Latn\nsource_suffix_text: End of text.\n");
        DatacardRegistry reg = DatacardRegistry.load(List.of(dir));
        LcmDataLoader loader = AffixEmbedding.openLoader(reg, List.of("minidata=train"),
                LoaderOptions.builder().batchSize(2).shuffle(false).expectedDim(384).nbEpochs(1).build());
        // Independent: langchain4j's own implementation of the same model.
        float[] want = new AllMiniLmL6V2QuantizedEmbeddingModel().embed("End of text.").content().vector();
        int docs = 0;
        while (loader.hasNext()) {
            for (Document d : loader.next()) {
                docs++;
                assertEquals("End of text.", d.sentences().get(d.sentences().size() - 1));
                float[] got = d.embeddings()[d.sourceLength() - 1];
                for (int j = 0; j < 384; j++) assertEquals(want[j], got[j], 1e-5);
            }
        }
        assertTrue(docs > 0);
    }

    @Test
    void eachTextIsEmbeddedOnceWithTheGivenEncoderAndLanguage() throws Exception {
        SyntheticData.write(dir, "d", 6, 4, 1);
        Dataset ds = DatacardRegistry.load(List.of(dir)).resolve("d=train");
        List<List<String>> calls = new ArrayList<>();
        ConceptEncoder enc = new ConceptEncoder() {
            public int dim() { return 4; }
            public float[][] encode(List<String> sentences, String lang) {
                calls.add(sentences);
                assertEquals("fra_Latn", lang);
                return new float[][] {{sentences.get(0).length(), 0, 0, 0}};
            }
        };
        Dataset affixed = withAffixes(ds, new Affixes("[MODEL]:", "End of text.", null, "End of text."));
        Map<String, float[]> v = AffixEmbedding.embed(LcmDataLoader.affixesOf(affixed), enc, "fra_Latn");
        assertEquals(List.of(List.of("[MODEL]:"), List.of("End of text.")), calls, "one call per distinct text");
        assertArrayEquals(new float[] {8, 0, 0, 0}, v.get("[MODEL]:"));
        assertArrayEquals(new float[] {12, 0, 0, 0}, v.get("End of text."));
    }

    @Test
    void dataWithoutAnEncoderMustBeSonars() throws Exception {
        SyntheticData.write(dir, "d", 6, 4, 1);
        Dataset ds = DatacardRegistry.load(List.of(dir)).resolve("d=train");
        Dataset affixed = withAffixes(ds, new Affixes(null, "End of text.", null, null));
        LoaderOptions o = LoaderOptions.builder().batchSize(4).build();
        LcmException e = assertThrows(LcmException.class, () -> AffixEmbedding.vectors(List.of(affixed), o));
        assertTrue(e.getMessage().contains("its datacard names no concept_encoder and its 4-d vectors are not SONAR's"), e.getMessage());
    }

    /** {@code ds} with its own affix texts {@code a}, its other options kept. */
    private static Dataset withAffixes(Dataset ds, Affixes a) {
        DatasetOptions o = ds.options();
        return ds.withOptions(new DatasetOptions(o.filters(), o.partitionFilters(), o.limit(), o.qualityColumn(),
                o.qualityRange(), o.sourceSequences(), o.targetSequences(), a, o.shardingInMemory()));
    }
}
