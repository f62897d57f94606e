package dev.lcm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.LcmException;
import dev.lcm4j.concepts.sonar.BeamSearch;
import dev.lcm4j.concepts.sonar.SonarConceptDecoder;
import dev.lcm4j.testing.Fixtures;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --decoder_config.max_tokens_in_sentence} and {@code .temperature} reach the SONAR decoder's beam search (whose
 * temperature is checked against the fixture's independent beam search in SonarFixtureTest), and are refused by name
 * by the sentence-bank decoder, which generates no tokens.
 */
class DecoderSettingsTest {
    @TempDir Path tmp;

    private Path toyDecoderCard() throws Exception {
        Path dir = Fixtures.dir("sonar");
        Path card = tmp.resolve("toy_dec.yaml");
        Files.writeString(card, "name: toy_dec\nmodel_family: sonar_text_decoder\nmodel_arch: toy\nmodel_config: {vocab_info: {size: 506}}\n"
                + "checkpoint: " + dir.resolve("sonar_text_decoder.pt") + "\ntokenizer: " + dir.resolve("sentencepiece.toy.model") + "\n");
        return card;
    }

    private static ConceptCodec codec(String decoder) {
        return new ConceptCodec(() -> "unused", () -> decoder, "eng_Latn", "eng_Latn", null, (what, dim) -> { });
    }

    @Test
    void sonarDecoderTakesBothSettings() throws Exception {
        TorchRuntime.init();
        String card = toyDecoderCard().toString();
        try (ConceptCodec c = codec(card)) {
            c.decoderSettings(9, 0.5);
            BeamSearch.Options o = assertInstanceOf(SonarConceptDecoder.class, c.decoder()).options();
            assertEquals(9, o.maxSeqLen());
            assertEquals(0.5, o.temperature());
            assertEquals(BeamSearch.Options.sonar().beamSize(), o.beamSize());
        }
        // unset: the decoder's own settings, which are the reference's defaults (SonarDecoderConfig: 256 tokens, temperature 1)
        try (ConceptCodec c = codec(card)) {
            c.decoderSettings(null, null);
            BeamSearch.Options o = ((SonarConceptDecoder) c.decoder()).options();
            assertEquals(1.0, o.temperature());
            assertEquals(256, o.maxSeqLen());
        }
    }

    @Test
    void bankDecoderRefusesThemByName() {
        try (ConceptCodec c = codec("bank:" + tmp)) {
            LcmException e = assertThrows(LcmException.class, () -> c.decoderSettings(null, 0.7));
            assertTrue(e.getMessage().contains("remove --decoder_config.temperature"), e.getMessage());
        }
        try (ConceptCodec c = codec("bank:" + tmp)) {
            LcmException e = assertThrows(LcmException.class, () -> c.decoderSettings(64, 0.7));
            assertTrue(e.getMessage().contains("remove --decoder_config.max_tokens_in_sentence and --decoder_config.temperature"), e.getMessage());
        }
        try (ConceptCodec c = codec("bank:" + tmp)) {
            c.decoderSettings(null, null);   // nothing given, nothing refused
        }
    }

    @Test
    void badValuesAreRefused() {
        try (ConceptCodec c = codec("bank:" + tmp)) {
            assertTrue(assertThrows(LcmException.class, () -> c.decoderSettings(2, null)).getMessage().contains("at least 3"));
            assertTrue(assertThrows(LcmException.class, () -> c.decoderSettings(null, 0.0)).getMessage().contains("positive"));
        }
    }
}
