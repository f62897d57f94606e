package dev.lcm4j.cli;

import static dev.lcm4j.testing.Cli.assertUserError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.lcm4j.io.Npy;
import dev.lcm4j.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The offline concept space end to end through the CLI: prepare (default MiniLM encoder + sentence bank), encode,
 * decode with the bank. Decoding a sentence's own vector must give the sentence back.
 */
class ConceptCliTest {
    @TempDir Path tmp;

    @Test
    void prepareEncodeDecodeRoundTrip() throws Exception {
        Path jsonl = tmp.resolve("docs.jsonl");
        Files.writeString(jsonl, """
                {"id": "a", "text": "The committee met on Monday. It adopted the report without a vote. The session was then closed."}
                {"id": "b", "text": "Fishing quotas were discussed at length. Several members asked for a delay."}
                {"id": "c", "text": "The President thanked the interpreters. The next sitting will be held tomorrow."}
                """);
        Path data = tmp.resolve("data");
        Cli.Outcome p = Cli.exec("prepare", "--input", jsonl.toString(), "--output", data.toString(), "--name", "tiny", "--validation-fraction", "0");
        assertEquals(0, p.code(), p.err());
        assertTrue(Files.isRegularFile(data.resolve("sentence_bank.bin")));

        List<String> sentences = List.of("It adopted the report without a vote.", "Fishing quotas were discussed at length.",
                "The next sitting will be held tomorrow.", "The committee met on Monday.");
        Path txt = tmp.resolve("in.txt");
        Files.writeString(txt, sentences.get(0) + "\n" + sentences.get(1) + "\n\n" + sentences.get(2) + "\n" + sentences.get(3) + "\n");
        Path npy = tmp.resolve("vectors.npy");
        Cli.Outcome e = Cli.exec("encode", "--input", txt.toString(), "--output", npy.toString());
        assertEquals(0, e.code(), e.err());
        Npy.Array a = Npy.read(npy);
        assertEquals(List.of(2L, 2L, 384L), java.util.Arrays.stream(a.shape()).boxed().toList());
        // The vectors are MiniLM's (independent implementation: langchain4j's model class).
        float[] want = new AllMiniLmL6V2QuantizedEmbeddingModel().embed(sentences.get(2)).content().vector();
        float[] got = a.toFloatArray();
        for (int j = 0; j < 384; j++) assertEquals(want[j], got[2 * 384 + j], 1e-5);

        Path decoded = tmp.resolve("decoded.jsonl");
        Cli.Outcome d = Cli.exec("decode", "--decoder", "bank:" + data, "--input", npy.toString(), "--output", decoded.toString());
        assertEquals(0, d.code(), d.err());
        List<String> back = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(decoded)) {
            JsonNode n = json.readTree(line);
            n.get("sentences").forEach(x -> back.add(x.asText()));
        }
        assertEquals(sentences, back);

        Cli.Outcome printed = Cli.exec("decode", "--decoder", "bank:" + data, "--input", npy.toString());
        assertEquals(List.of(sentences.get(0) + " " + sentences.get(1), sentences.get(2) + " " + sentences.get(3)), printed.out().lines().toList());

        // Bad input: a 16-d vector file against the 384-d bank, an unknown language, a missing bank.
        Path wrong = tmp.resolve("wrong.npy");
        Npy.write(wrong, Npy.Array.ofFloats(new float[16], 1, 1, 16));
        assertUserError(Cli.exec("decode", "--decoder", "bank:" + data, "--input", wrong.toString()), "16", "384");
        assertUserError(Cli.exec("encode", "--input", txt.toString(), "--output", tmp.resolve("x.npy").toString(), "--lang", "en"), "unknown language code 'en'");
        assertUserError(Cli.exec("decode", "--decoder", "bank:" + tmp.resolve("nowhere"), "--input", npy.toString()), "does not exist");
        assertTrue(!Files.exists(tmp.resolve("x.npy")));
    }
}
