package dev.lcm4j.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.lcm4j.cli.Main;
import dev.lcm4j.data.SyntheticData;
import dev.lcm4j.io.Npy;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.models.Checkpoints;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.ModelCards;
import dev.lcm4j.models.ModelLoader;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.testing.Cli;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quant-LCM-d and -c end to end through the CLI on synthetic 16-d data with a 4 x 16 quantizer fitted by
 * {@code ./lcm rvq fit} on the same datacard: +pretrain=quant_lcm_d / quant_lcm_c (the loss falls), the card reloads
 * with the checkpoint's codebooks, generation is reproducible for a seed (sampled with top_k > 1) and the KV cache
 * agrees with the full prefix, predict and evaluate (predictor = family name) run; a missing quantizer, a quantizer of
 * another shape and top_k > K are one error line each; guidance on a model trained without it warns once (bf16 run).
 */
@Tag("slow")
class QuantLcmTrainerTest {
    @TempDir static Path tmp;
    static Path data, cards, quantizer, wide;

    @BeforeAll
    static void setUp() {
        TorchRuntime.init();
        data = tmp.resolve("synth");
        SyntheticData.write(data, "qsynth", 60, 16, 7);
        cards = tmp.resolve("cards");
        System.setProperty("LCM_CARDS_PATH", data.toString());
        assertEquals(0, Main.execute("fit-normalizer", "--ds", "qsynth=train", "--save_path", cards.resolve("norm.pt").toString(),
                "--card_name", "qsynth_norm"));
        System.setProperty("LCM_CARDS_PATH", data + ":" + cards);
        quantizer = tmp.resolve("rvq.pt");
        assertEquals(0, Main.execute("rvq", "fit", "--ds", "qsynth=train", "--output", quantizer.toString(), "--codebooks", "4",
                "--units", "16", "--seed", "1"));
        wide = tmp.resolve("rvq8.pt");
        assertEquals(0, Main.execute("rvq", "fit", "--ds", "qsynth=train", "--output", wide.toString(), "--codebooks", "4",
                "--units", "8", "--seed", "1"));
    }

    @AfterAll
    static void tearDown() {
        System.clearProperty("LCM_CARDS_PATH");
    }

    static String overrides(String quantizerPath) {
        return "++trainer.model_arch_overrides={sonar_embed_dim: 16, model_dim: 32, codebook_embed_dim: 16, max_seq_len: 256,"
                + " num_codebooks: 4, num_units: 16, sonar_normalizer_name: qsynth_norm"
                + (quantizerPath == null ? "" : ", quantizer_path: " + quantizerPath)
                + ", lcm: {num_layers: 2, num_attn_heads: 2, ffn_inner_dim: 64}}";
    }

    static List<String> args(String family, Path out, int maxSteps, String quantizerPath) {
        return new ArrayList<>(List.of("train", "+pretrain=" + family, "++trainer.output_dir=" + out,
                "++trainer.model_arch=toy_" + family, overrides(quantizerPath),
                "++trainer.training_data=[{name: qsynth=train}]", "++trainer.validation_data=[{name: qsynth=validation}]",
                "++trainer.dtype=torch.float32", "++trainer.max_steps=" + maxSteps, "++trainer.num_lr_warmup_steps=2",
                "++trainer.lr=0.003", "++trainer.checkpoint_every_n_steps=" + maxSteps, "++trainer.save_model_every_n_steps=" + maxSteps,
                "++trainer.validate_every_n_steps=" + maxSteps, "++trainer.publish_metrics_every_n_steps=1",
                "++trainer.data_loading_config.max_tokens=300"));
    }

    static List<Double> losses(Path out) throws Exception {
        List<Double> v = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            if (line.contains("\"run\": \"Train")) v.add(Double.parseDouble(line.replaceAll(".*\"loss\": ([^,}]+).*", "$1")));
        }
        return v;
    }

    @ParameterizedTest
    @ValueSource(strings = {"quant_lcm_d", "quant_lcm_c"})
    void pretrainsReloadsAndGeneratesReproducibly(String family) throws Exception {
        Path out = tmp.resolve(family);
        List<String> train = args(family, out, 40, quantizer.toString());
        if (family.endsWith("_d")) train.add("++trainer.lr=0.01");
        assertEquals(0, Main.execute(train.toArray(String[]::new)));
        List<Double> loss = losses(out);
        assertEquals(40, loss.size());
        double first = (loss.get(0) + loss.get(1) + loss.get(2)) / 3, last = (loss.get(37) + loss.get(38) + loss.get(39)) / 3;
        if (family.endsWith("_c")) {
            assertTrue(last < 0.85 * first, family + " loss should fall: " + loss);
        } else {
            // cross-entropy over K = 16 units: the deeper codebooks' units are close to noise on this data, so the
            // loss falls from the random init (above ln 16) to below the uniform guess, not far below
            double last10 = loss.subList(30, 40).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            assertTrue(first - last10 > 0.15 && last10 < Math.log(16) - 0.01, family + " loss should fall below ln 16: " + loss);
        }

        // the checkpoint carries the quantizer's codebooks; the card reloads with them
        Map<String, StoredTensor> saved = Checkpoints.readState(out.resolve("checkpoints/step_40/model.pt"));
        assertArrayEquals(new long[] {4, 16, 16}, saved.get("quantizer_codebooks").shape());
        assertArrayEquals(new long[] {5, 16}, saved.get("frontend.embed_codebook.weight").shape(), "M + 1 codebook indices");
        Lcm m = ModelLoader.load(ModelCards.resolve(out.toString()), ParamFactory.cpu(), true);
        assertEquals(family, m.family());
        for (var e : m.stateDict().entrySet()) {
            if (saved.containsKey(e.getKey())) assertArrayEquals(saved.get(e.getKey()).toFloatArray(), Tensors.toFloats(e.getValue()), 0f, e.getKey());
        }

        Path prompts = data.resolve("split=validation/part-0.parquet");
        List<float[]> gens = new ArrayList<>();
        for (String[] extra : List.of(new String[] {"--seed", "3"}, new String[] {"--seed", "3"}, new String[] {"--seed", "4"},
                new String[] {"--seed", "3", "--disable_cache"})) {
            Path gen = tmp.resolve(family + "gen" + gens.size() + ".npy");
            List<String> g = new ArrayList<>(List.of("generate", "--model_card", out.toString(), "--input", prompts.toString(),
                    "--output", gen.toString(), "--prompt_len", "2", "--max_gen_len", "3", "--guidance_scale", "1.5",
                    "--sampling_option", "top_k=4", "--sampling_option", "temperature=" + (family.endsWith("d") ? "1.0" : "0.5")));
            g.addAll(Arrays.asList(extra));
            assertEquals(0, Main.execute(g.toArray(String[]::new)));
            assertArrayEquals(new long[] {6, 5, 16}, Npy.read(gen).shape());
            gens.add(Npy.read(gen).toFloatArray());
        }
        assertArrayEquals(gens.get(0), gens.get(1), 0f, "same seed, same concepts");
        assertFalse(Arrays.equals(gens.get(0), gens.get(2)), "another seed, other concepts");
        for (int i = 0; i < gens.get(0).length; i++) assertEquals(gens.get(0)[i], gens.get(3)[i], 1e-4, "KV cache vs full prefix at " + i);

        Path pred = tmp.resolve(family + "pred.npy");
        assertEquals(0, Main.execute("predict", "--model_card", out.toString(), "--input", prompts.toString(), "--output", pred.toString()));
        assertTrue(Files.isRegularFile(pred));
        Path dump = tmp.resolve(family + "eval");
        assertEquals(0, Main.execute("evaluate", "--predictor", family, "--model_card", out.toString(),
                "--tasks", "lcm_next_sentence", "--dataset.name", "qsynth=validation", "--task_args", "{\"round_trip\": false}",
                "--dump_dir", dump.toString()));
    }

    @Test
    void resumesIdenticallyAndACardsQuantizerPathIsRelativeToTheCard() throws Exception {
        // resume: stop at step 3, run again to 6, identical to a straight run (data order, codebook indices, dropout, CFG draws)
        Path straight = tmp.resolve("straight"), resumed = tmp.resolve("resumed");
        assertEquals(0, Main.execute(args("quant_lcm_c", straight, 6, quantizer.toString()).toArray(String[]::new)));
        List<String> first = args("quant_lcm_c", resumed, 6, quantizer.toString());
        first.add("--stop_after_steps=3");
        assertEquals(0, Main.execute(first.toArray(String[]::new)));
        assertEquals(0, Main.execute(args("quant_lcm_c", resumed, 6, quantizer.toString()).toArray(String[]::new)));
        Map<String, StoredTensor> a = Checkpoints.readState(straight.resolve("checkpoints/step_6/model.pt"));
        Map<String, StoredTensor> b = Checkpoints.readState(resumed.resolve("checkpoints/step_6/model.pt"));
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 0f, k);

        // a card without a checkpoint names its quantizer relative to itself
        Path dir = tmp.resolve("cardhome");
        Files.createDirectories(dir.resolve("q"));
        Files.copy(quantizer, dir.resolve("q/rvq.pt"));
        Files.writeString(dir.resolve("model_card.yaml"), String.join("\n", "name: rel_quant", "model_family: quant_lcm_d",
                "model_arch: toy_quant_lcm_d", "model_config:", "  sonar_embed_dim: 16", "  num_codebooks: 4", "  num_units: 16",
                "  sonar_normalizer_name: qsynth_norm", "  quantizer_path: q/rvq.pt", ""));
        Lcm m = ModelLoader.load(ModelCards.resolve(dir.toString()), ParamFactory.cpu(), false);
        float[] books = Tensors.toFloats(m.stateDict().get("quantizer_codebooks"));
        assertArrayEquals(Tensors.toFloats(dev.lcm4j.models.quant.QuantizerFiles.read(quantizer).codebooks()), books, 0f);
    }

    @Test
    void badQuantizersAndTopKAreOneLine() throws Exception {
        Cli.Outcome none = Cli.exec(args("quant_lcm_d", tmp.resolve("noq"), 2, null));
        Cli.assertUserError(none, "needs a fitted residual quantizer", "./lcm rvq fit");
        Cli.Outcome shape = Cli.exec(args("quant_lcm_c", tmp.resolve("wideq"), 2, wide.toString()));
        Cli.assertUserError(shape, "4 x 16", "4 x 8");
        Cli.Outcome missing = Cli.exec(args("quant_lcm_c", tmp.resolve("missq"), 2, tmp.resolve("nope.pt").toString()));
        Cli.assertUserError(missing, "nope.pt", "rvq fit");

        Path out = tmp.resolve("small");
        assertEquals(0, Main.execute(args("quant_lcm_d", out, 2, quantizer.toString()).toArray(String[]::new)));
        Path in = tmp.resolve("prompt.npy");
        Npy.write(in, Npy.Array.ofFloats(new float[2 * 16], 1, 2, 16));
        Cli.Outcome topk = Cli.exec("generate", "--model_card", out.toString(), "--input", in.toString(), "--output",
                tmp.resolve("g.npy").toString(), "--max_gen_len", "2", "--sampling_option", "top_k=17");
        Cli.assertUserError(topk, "top_k=17", "16 units per codebook");
        assertFalse(Files.exists(tmp.resolve("g.npy")));

        // guidance on a model trained without it: runs, and warns once
        Path plain = tmp.resolve("plain");
        List<String> a = args("quant_lcm_c", plain, 2, quantizer.toString());
        a.set(a.indexOf(overrides(quantizer.toString())), overrides(quantizer.toString()).replace("}}", "}, trained_with_cf_guidance: false}"));
        a.add("++trainer.criterion.cf_guidance_probability=0.0");
        a.set(a.indexOf("++trainer.dtype=torch.float32"), "++trainer.dtype=torch.bfloat16");
        assertEquals(0, Main.execute(a.toArray(String[]::new)));
        assertTrue(losses(plain).stream().allMatch(Double::isFinite), "bf16 autocast losses are finite: " + losses(plain));
        Cli.Outcome warned = Cli.exec("generate", "--model_card", plain.toString(), "--input", in.toString(), "--output",
                tmp.resolve("w.npy").toString(), "--max_gen_len", "2", "--guidance_scale", "2");
        assertEquals(0, warned.code(), warned.err());
        assertEquals(1, warned.err().split("trained without classifier-free guidance", -1).length - 1, warned.err());
    }
}
