package dev.lcm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lcm4j.cli.Main;
import dev.lcm4j.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./lcm demo --quick}: the whole main job on tiny data and models, and its reuse on a second run. */
@Tag("slow")
class DemoSmokeTest {
    @TempDir Path tmp;

    @Test
    void quickDemoWritesTheReportAndReusesItsWork() throws Exception {
        Path out = tmp.resolve("demo");
        assertEquals(0, Main.execute("demo", "--quick", "--output", out.toString()));
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("| l2 ↓ (teacher-forced) |") && report.contains("ROUGE-L"), report);
        for (String png : new String[] {"loss_mse.png", "loss_two_tower.png"}) {
            var img = ImageIO.read(out.resolve(png).toFile());
            assertEquals(720, img.getWidth(), png);
        }
        ObjectMapper json = new ObjectMapper();
        for (String dump : new String[] {"eval_mse", "eval_two_tower"}) {
            JsonNode line = json.readTree(Files.readAllLines(out.resolve(dump).resolve("metrics.eval.jsonl")).get(0));
            assertTrue(line.has("lcm_next_sentence/l2") && line.has("lcm_next_sentence/round_trip_l2") && line.has("lcm_next_sentence/par"), line.toString());
            double l2 = line.get("lcm_next_sentence/l2").asDouble();
            assertTrue(l2 > 0 && Double.isFinite(l2), line.toString());
            // generation task: its raw results hold decoded continuations of 3 sentences
            Path raw = out.resolve(dump).resolve("raw_results/lcm_generation.prompt_len_3.max_gen_len_3/lcm_generation.prompt_len_3.max_gen_len_3.json");
            JsonNode first = json.readTree(Files.readAllLines(raw).get(0));
            assertEquals(3, first.get("prediction_texts").size());
        }
        // the second run reuses data, normalizer, checkpoints and evaluation results
        Cli.Outcome again = Cli.exec("demo", "--quick", "--output", out.toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("already done"), again.err());
    }
}
