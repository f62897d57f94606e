package dev.lcm4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A datacard's concept_encoder embeds its affix texts, in the data's own space. */
class AffixEncoderTest {
    @TempDir Path dir;

    @Test
    void suffixIsEmbeddedWithTheDatacardsEncoder() throws Exception {
        SyntheticData.write(dir, "minidata", 6, 384, 1);
        Path card = dir.resolve("datacard.yaml");
        Files.writeString(card, Files.readString(card) + "concept_encoder: all_minilm_l6_v2_q\nlang: eng_Latn\nsource_suffix_text: End of text.\n");
        DatacardRegistry reg = DatacardRegistry.load(List.of(dir));
        LcmDataLoader loader = LcmDataLoader.open(reg, List.of("minidata=train"),
                LoaderOptions.builder().batchSize(2).shuffle(false).expectedDim(384).nbEpochs(1).build(), null);
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
        assertEquals(true, docs > 0);
    }
}
