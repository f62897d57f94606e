package dev.lcm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.lcm4j.io.Npy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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

    record Outcome(int code, String out, String err) {
    }

    static Outcome cli(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return new Outcome(Main.execute(args), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void prepareEncodeDecodeRoundTrip() throws Exception {
        Path jsonl = tmp.resolve("docs.jsonl");
        Files.writeString(jsonl, """
                {"id": "a", "text": "The committee met on Monday. It adopted the report without a vote. The session was then closed."}
                {"id": "b", "text": "Fishing quotas were discussed at length. Several members asked for a delay."}
                {"id": "c", "text": "The President thanked the interpreters. The next sitting will be held tomorrow."}
                """);
        Path data = tmp.resolve("data");
        Outcome p = cli("prepare", "--input", jsonl.toString(), "--output", data.toString(), "--name", "tiny", "--validation-fraction", "0");
        assertEquals(0, p.code(), p.err());
        assertTrue(Files.isRegularFile(data.resolve("sentence_bank.bin")));

        List<String> sentences = List.of("It adopted the report without a vote.", "Fishing quotas were discussed at length.",
                "The next sitting will be held tomorrow.", "The committee met on Monday.");
        Path txt = tmp.resolve("in.txt");
        Files.writeString(txt, sentences.get(0) + "\n" + sentences.get(1) + "\n\n" + sentences.get(2) + "\n" + sentences.get(3) + "\n");
        Path npy = tmp.resolve("vectors.npy");
        Outcome e = cli("encode", "--input", txt.toString(), "--output", npy.toString());
        assertEquals(0, e.code(), e.err());
        Npy.Array a = Npy.read(npy);
        assertEquals(List.of(2L, 2L, 384L), java.util.Arrays.stream(a.shape()).boxed().toList());
        // The vectors are MiniLM's (independent implementation: langchain4j's model class).
        float[] want = new AllMiniLmL6V2QuantizedEmbeddingModel().embed(sentences.get(2)).content().vector();
        float[] got = a.toFloatArray();
        for (int j = 0; j < 384; j++) assertEquals(want[j], got[2 * 384 + j], 1e-5);

        Path decoded = tmp.resolve("decoded.jsonl");
        Outcome d = cli("decode", "--decoder", "bank:" + data, "--input", npy.toString(), "--output", decoded.toString());
        assertEquals(0, d.code(), d.err());
        List<String> back = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(decoded)) {
            JsonNode n = json.readTree(line);
            n.get("sentences").forEach(x -> back.add(x.asText()));
        }
        assertEquals(sentences, back);

        Outcome printed = cli("decode", "--decoder", "bank:" + data, "--input", npy.toString());
        assertEquals(List.of(sentences.get(0) + " " + sentences.get(1), sentences.get(2) + " " + sentences.get(3)), printed.out().lines().toList());

        // Bad input: a 16-d vector file against the 384-d bank, an unknown language, a missing bank.
        Path wrong = tmp.resolve("wrong.npy");
        Npy.write(wrong, Npy.Array.ofFloats(new float[16], 1, 1, 16));
        assertUserError(cli("decode", "--decoder", "bank:" + data, "--input", wrong.toString()), "16", "384");
        assertUserError(cli("encode", "--input", txt.toString(), "--output", tmp.resolve("x.npy").toString(), "--lang", "en"), "unknown language code 'en'");
        assertUserError(cli("decode", "--decoder", "bank:" + tmp.resolve("nowhere"), "--input", npy.toString()), "does not exist");
        assertTrue(!Files.exists(tmp.resolve("x.npy")));
    }

    static void assertUserError(Outcome o, String... fragments) {
        assertEquals(2, o.code(), o.err());
        List<String> lines = o.err().lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, lines.size(), o.err());
        for (String f : fragments) assertTrue(lines.get(0).contains(f), lines.get(0) + " should contain " + f);
    }
}
