package dev.lcm4j.concepts.sonar;

import static dev.lcm4j.testing.LcmExceptionAssert.assertOneLineError;
import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.concepts.ConceptDecoder;
import dev.lcm4j.concepts.ConceptEncoder;
import dev.lcm4j.concepts.ConceptModels;
import dev.lcm4j.models.ModelCard;
import dev.lcm4j.models.ModelCards;
import dev.lcm4j.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Built-in and user cards, file lookup, and the one-line errors for bad input. */
class SonarCardsAndErrorsTest {
    @TempDir
    Path tmp;

    @AfterEach
    void clearProperty() {
        System.clearProperty("LCM_SONAR_DIR");
    }

    @Test
    void builtInCardsNameTheOfficialFilesInTheSonarDirectory() {
        Map<String, ModelCard> all = ModelCards.fromEnvironment().all();
        assertEquals("sonar_text_encoder", all.get("text_sonar_basic_encoder").family());
        assertEquals("sonar_text_decoder", all.get("text_sonar_basic_decoder").family());
        assertEquals("finetuned_decoder.pt", all.get("text_sonar_finetuned_decoder").raw().get("checkpoint"));
        System.setProperty("LCM_SONAR_DIR", tmp.toString());
        assertEquals(tmp, SonarFiles.sonarDir());
    }

    @Test
    void missingTokenizerThenMissingCheckpointAreOneLineErrorsWithWhereAndUrl() throws Exception {
        System.setProperty("LCM_SONAR_DIR", tmp.toString());
        assertOneLineError(() -> ConceptModels.encoder("text_sonar_basic_encoder"), "sentencepiece.source.256000.model",
                "text_sonar_basic_encoder", tmp.toString(), "https://dl.fbaipublicfiles.com/SONAR/sentencepiece.source.256000.model",
                "LCM_SONAR_DIR");
        Files.writeString(tmp.resolve("sentencepiece.source.256000.model"), "x");
        assertOneLineError(() -> ConceptModels.decoder("text_sonar_finetuned_decoder"), "finetuned_decoder.pt", "text_sonar_finetuned_decoder",
                "https://dl.fbaipublicfiles.com/SONAR/finetuned_decoder.pt");
    }

    /** A user card with relative paths (resolved next to the card) built through ConceptModels, as prepare does. */
    private Path userCards() throws Exception {
        Path fx = Fixtures.dir("sonar");
        for (String f : List.of("sonar_text_encoder.pt", "sonar_text_decoder.pt", "sentencepiece.toy.model")) {
            Files.copy(fx.resolve(f), tmp.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.writeString(tmp.resolve("enc.yaml"), """
                name: my_toy_sonar_encoder
                model_family: sonar_text_encoder
                model_arch: toy
                model_config: {vocab_info: {size: 506}}
                checkpoint: sonar_text_encoder.pt
                tokenizer: sentencepiece.toy.model
                """);
        Files.writeString(tmp.resolve("dec.yaml"), """
                name: my_toy_sonar_decoder
                model_family: sonar_text_decoder
                model_arch: toy
                model_config: {vocab_info: {size: 506}}
                checkpoint: sonar_text_decoder.pt
                tokenizer: sentencepiece.toy.model
                greedy: true
                """);
        return tmp;
    }

    @Test
    void userCardsLoadThroughConceptModelsAndRejectBadInput() throws Exception {
        Path dir = userCards();
        try (ConceptEncoder enc = ConceptModels.encoder(dir.resolve("enc.yaml").toString());
             ConceptDecoder dec = ConceptModels.decoder(dir.resolve("dec.yaml").toString())) {
            assertEquals(32, enc.dim());
            assertEquals("my_toy_sonar_encoder", enc.name());
            assertEquals(1, ((SonarConceptDecoder) dec).options().beamSize());
            assertOneLineError(() -> enc.encode(List.of("Hello"), "english"), "unknown language code 'english'", "eng_Latn");
            assertOneLineError(() -> dec.decode(new float[][] {new float[32]}, "fr"), "unknown language code 'fr'");
            assertOneLineError(() -> dec.decode(new float[][] {new float[1024]}, "fra_Latn"), "vector 0 has 1024 values", "takes 32");
        }
    }

    @Test
    void wrongCheckpointArchOrTokenizerAreNamed() throws Exception {
        Path dir = userCards();
        // The decoder's checkpoint under an encoder card.
        Files.writeString(dir.resolve("swapped.yaml"), Files.readString(dir.resolve("enc.yaml"))
                .replace("checkpoint: sonar_text_encoder.pt", "checkpoint: sonar_text_decoder.pt"));
        assertOneLineError(() -> ConceptModels.encoder(dir.resolve("swapped.yaml").toString()), "sonar_text_decoder.pt", "my_toy_sonar_encoder",
                "missing keys [encoder_frontend.embed.weight");
        // No vocabulary override: toy's 1024 rows do not fit a 300-piece tokenizer.
        Files.writeString(dir.resolve("novocab.yaml"), Files.readString(dir.resolve("enc.yaml")).replace("model_config: {vocab_info: {size: 506}}\n", ""));
        assertOneLineError(() -> ConceptModels.encoder(dir.resolve("novocab.yaml").toString()), "vocabulary of 506", "1024", "vocab_info.size");
        Files.writeString(dir.resolve("badkey.yaml"), Files.readString(dir.resolve("enc.yaml")).replace("vocab_info: {size: 506}", "vocab: 506"));
        assertOneLineError(() -> ConceptModels.encoder(dir.resolve("badkey.yaml").toString()), "model_config key 'vocab'", "vocab_info.size");
        Files.writeString(dir.resolve("notspm.model"), "not a model");
        Files.writeString(dir.resolve("badtok.yaml"), Files.readString(dir.resolve("enc.yaml")).replace("sentencepiece.toy.model", "notspm.model"));
        assertOneLineError(() -> ConceptModels.encoder(dir.resolve("badtok.yaml").toString()), "notspm.model", "not a SentencePiece model");
    }
}
