package dev.lcm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        // all five families first; the second run, without --all-families, must reuse the two default models' work
        Cli.Outcome firstRun = Cli.exec("demo", "--quick", "--all-families", "--output", out.toString());
        assertEquals(0, firstRun.code(), firstRun.err());
        // the demo makes every setting itself, so nothing in its own recipes may draw a warning
        assertFalse(firstRun.err().contains(" WARN dev.lcm4j"), firstRun.err().lines().filter(l -> l.contains(" WARN dev.lcm4j")).toList().toString());
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("| l2 (teacher-forced) ↓ |") && report.contains("ROUGE-L"), report);
        // the baselines sit beside the models, and each model gets a plain-word verdict
        for (String b : new String[] {"mean of train (baseline)", "copy previous / repeat last (baseline)", "random from train (baseline)"}) {
            assertTrue(report.contains(b), b + " in " + report);
        }
        for (String model : new String[] {"MSE LCM", "two-tower LCM", "One-Tower LCM", "Quant-LCM-d", "Quant-LCM-c"}) {
            assertTrue(report.contains("- **" + model + "**: ") && report.contains("| " + model + " |"), model + " in " + report);
        }
        // the paper's Table 3 sits beside them, labelled as another setting
        assertTrue(report.contains("| model (paper: SONAR 1024-d, 1.6B, Fineweb-edu) |") && report.contains("| Quant-LCM-d | 0.240 / 0.246 / 1.871 / 81.1%"), report);
        assertTrue(Files.exists(out.resolve("rvq/rvq.pt")), "the Quant-LCMs' quantizer");
        assertTrue(report.contains("every step was computed in this run"), "a first run reuses nothing: " + report);
        for (String png : new String[] {"loss_mse.png", "loss_two_tower.png", "loss_one_tower.png", "loss_quant_lcm_d.png", "loss_quant_lcm_c.png"}) {
            var img = ImageIO.read(out.resolve(png).toFile());
            assertEquals(720, img.getWidth(), png);
        }
        ObjectMapper json = new ObjectMapper();
        for (String dump : new String[] {"eval_mse", "eval_two_tower", "eval_one_tower", "eval_quant_lcm_d", "eval_quant_lcm_c",
                "eval_baseline_mean", "eval_baseline_copy", "eval_baseline_random"}) {
            JsonNode line = json.readTree(Files.readAllLines(out.resolve(dump).resolve("metrics.eval.jsonl")).get(0));
            assertTrue(line.has("lcm_next_sentence/l2") && line.has("lcm_next_sentence/round_trip_l2") && line.has("lcm_next_sentence/par"), line.toString());
            double l2 = line.get("lcm_next_sentence/l2").asDouble();
            assertTrue(l2 > 0 && Double.isFinite(l2), line.toString());
            // generation task: its raw results hold decoded continuations of 3 sentences
            Path raw = out.resolve(dump).resolve("raw_results/lcm_generation.prompt_len_3.max_gen_len_3/lcm_generation.prompt_len_3.max_gen_len_3.json");
            JsonNode first = json.readTree(Files.readAllLines(raw).get(0));
            int n = first.get("prediction_texts").size();
            assertTrue(n >= 1 && n <= 3, "3 sentences at most (fewer when a repeated concept stopped it): " + first);
        }
        // the second run reuses data, normalizer, checkpoints and evaluation results
        Cli.Outcome again = Cli.exec("demo", "--quick", "--output", out.toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("already done"), again.err());
        String second = Files.readString(out.resolve("report.md"));
        assertTrue(second.contains("reused from an earlier run: prepared data, normalizer"), second);
        assertFalse(second.contains("- **Quant-LCM-d**"), "without --all-families the report has the two default models: " + second);
    }
}
