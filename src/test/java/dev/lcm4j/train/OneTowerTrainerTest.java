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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one-tower model end to end through the CLI: +pretrain=one_tower (the loss falls), the card reloads, resume is
 * identical to a straight run, generation is reproducible for a seed, predict and evaluate run, +finetune=one_tower
 * (bf16) counts only answer sentences, guidance on a model trained without it warns, mismatched guidance settings
 * fail with one line.
 */
@Tag("slow")
class OneTowerTrainerTest {
    @TempDir static Path tmp;
    static Path data, cards;

    @BeforeAll
    static void setUp() {
        TorchRuntime.init();
        data = tmp.resolve("synth");
        SyntheticData.write(data, "otsynth", 60, 16, 7);
        cards = tmp.resolve("cards");
        System.setProperty("LCM_CARDS_PATH", data.toString());
        assertEquals(0, Main.execute("fit-normalizer", "--ds", "otsynth=train", "--save_path", cards.resolve("norm.pt").toString(),
                "--card_name", "otsynth_norm"));
        System.setProperty("LCM_CARDS_PATH", data + ":" + cards);
    }

    @AfterAll
    static void tearDown() {
        System.clearProperty("LCM_CARDS_PATH");
    }

    static String overrides(boolean guidance) {
        return "++trainer.model_arch_overrides={sonar_embed_dim: 16, model_dim: 32, timestep_embed_dim: 16, max_seq_len: 256,"
                + " sonar_normalizer_name: otsynth_norm, trained_with_cf_guidance: " + guidance + ","
                + " lcm: {num_layers: 2, num_attn_heads: 2, ffn_inner_dim: 64}}";
    }

    static List<String> args(Path out, int maxSteps, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "+pretrain=one_tower", "++trainer.output_dir=" + out,
                "++trainer.model_arch=toy_one_tower_diffusion_lcm", overrides(true),
                "++trainer.training_data=[{name: otsynth=train}]", "++trainer.validation_data=[{name: otsynth=validation}]",
                "++trainer.dtype=torch.float32", "++trainer.max_steps=" + maxSteps, "++trainer.num_lr_warmup_steps=2",
                "++trainer.lr=0.003", "++trainer.checkpoint_every_n_steps=2", "++trainer.save_model_every_n_steps=2",
                "++trainer.validate_every_n_steps=" + maxSteps, "++trainer.publish_metrics_every_n_steps=1",
                "++trainer.data_loading_config.max_tokens=300", "++trainer.keep_last_n_checkpoints=2"));
        a.addAll(List.of(extra));
        return a;
    }

    static int run(List<String> a) {
        return Main.execute(a.toArray(String[]::new));
    }

    static List<Double> metric(Path out, String run, String key) throws Exception {
        List<Double> v = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            if (line.contains("\"run\": \"" + run)) v.add(Double.parseDouble(line.replaceAll(".*\"" + key + "\": ([^,}]+).*", "$1")));
        }
        return v;
    }

    @Test
    void pretrainsResumesIdenticallyAndGeneratesReproducibly() throws Exception {
        Path out = tmp.resolve("pre");
        assertEquals(0, run(args(out, 16)));
        List<Double> loss = metric(out, "Train", "loss");
        assertEquals(16, loss.size());
        double first = (loss.get(0) + loss.get(1)) / 2, last = (loss.get(14) + loss.get(15)) / 2;
        assertTrue(last < 0.85 * first, "diffusion loss should fall: " + loss);
        String card = Files.readString(out.resolve("model_card.yaml"));
        assertTrue(card.contains("model_family: one_tower_diffusion_lcm"), card);

        // the card reloads as a one-tower model with the checkpoint's parameters
        Map<String, StoredTensor> saved = Checkpoints.readState(out.resolve("checkpoints/step_16/model.pt"));
        assertTrue(saved.containsKey("embed_time.fc1.weight") && saved.containsKey("frontend.pre_linear.weight"));
        assertArrayEquals(new long[] {32, 16 + 16}, saved.get("frontend.pre_linear.weight").shape(), "PreNet over [x ; temb]");
        Lcm m = ModelLoader.load(ModelCards.resolve(out.toString()), ParamFactory.cpu(), true);
        assertEquals("one_tower_diffusion_lcm", m.family());
        for (var e : m.namedParameters().entrySet()) {
            assertArrayEquals(saved.get(e.getKey()).toFloatArray(), Tensors.toFloats(e.getValue()), 0f, e.getKey());
        }

        // resume: stop at step 3, run again to 6, identical to a straight run (data order, noise, steps, dropout, CFG draws)
        Path straight = tmp.resolve("straight"), resumed = tmp.resolve("resumed");
        assertEquals(0, run(args(straight, 6)));
        assertEquals(0, run(args(resumed, 6, "--stop_after_steps=3")));
        assertEquals(0, run(args(resumed, 6)));
        Map<String, StoredTensor> a = Checkpoints.readState(straight.resolve("checkpoints/step_6/model.pt"));
        Map<String, StoredTensor> b = Checkpoints.readState(resumed.resolve("checkpoints/step_6/model.pt"));
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 0f, k);

        // generation: the same seed gives the same concepts, another seed others; with and without the KV cache alike
        Path prompts = data.resolve("split=validation/part-0.parquet");
        List<float[]> gens = new ArrayList<>();
        for (String[] extra : List.of(new String[] {"--seed", "3"}, new String[] {"--seed", "3"}, new String[] {"--seed", "4"},
                new String[] {"--seed", "3", "--disable_cache"})) {
            Path gen = tmp.resolve("gen" + gens.size() + ".npy");
            List<String> g = new ArrayList<>(List.of("generate", "--model_card", out.toString(), "--input", prompts.toString(),
                    "--output", gen.toString(), "--prompt_len", "2", "--max_gen_len", "3", "--inference_timesteps", "10",
                    "--guidance_scale", "3", "--guidance_rescale", "0.7", "--initial_noise_scale", "0.6"));
            g.addAll(Arrays.asList(extra));
            assertEquals(0, Main.execute(g.toArray(String[]::new)));
            assertArrayEquals(new long[] {6, 5, 16}, Npy.read(gen).shape());
            gens.add(Npy.read(gen).toFloatArray());
        }
        assertArrayEquals(gens.get(0), gens.get(1), 0f, "same seed, same concepts");
        assertFalse(Arrays.equals(gens.get(0), gens.get(2)), "another seed, other concepts");
        float[] cached = gens.get(0), uncached = gens.get(3);
        for (int i = 0; i < cached.length; i++) assertEquals(cached[i], uncached[i], 1e-4, "KV cache vs full prefix at " + i);

        Path pred = tmp.resolve("pred.npy");
        assertEquals(0, Main.execute("predict", "--model_card", out.toString(), "--input", prompts.toString(), "--output", pred.toString(),
                "--inference_timesteps", "5"));
        assertTrue(Files.isRegularFile(pred));

        // the evaluator finds the family by its predictor name
        Path dump = tmp.resolve("eval");
        assertEquals(0, Main.execute("evaluate", "--predictor", "one_tower_diffusion_lcm", "--model_card", out.toString(),
                "--tasks", "lcm_next_sentence", "--dataset.name", "otsynth=validation", "--task_args", "{\"round_trip\": false}",
                "--inference_timesteps", "5", "--dump_dir", dump.toString()));
        double l2 = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dump.resolve("results/lcm_next_sentence.json").toFile())
                .path("results").path("l2").asDouble(Double.NaN);
        assertTrue(l2 > 0 && Double.isFinite(l2), "l2 = " + l2);
    }

    @Test
    void guidanceOnAModelTrainedWithoutItWarnsAndMismatchedSettingsFail() throws Exception {
        Path plain = tmp.resolve("plain");
        List<String> a = args(plain, 2, "++trainer.criterion.cf_guidance_probability=0.0");
        a.set(a.indexOf(overrides(true)), overrides(false));
        assertEquals(0, run(a));
        Path in = tmp.resolve("prompt.npy"), out = tmp.resolve("plain_gen.npy");
        float[] x = new float[2 * 16];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i) * 0.02f;
        Npy.write(in, Npy.Array.ofFloats(x, 1, 2, 16));
        Cli.Outcome o = Cli.exec("generate", "--model_card", plain.toString(), "--input", in.toString(), "--output", out.toString(),
                "--max_gen_len", "2", "--inference_timesteps", "5", "--guidance_scale", "3");
        assertEquals(0, o.code(), o.err());
        assertEquals(1, o.err().split("trained without classifier-free guidance", -1).length - 1, o.err());

        // guidance probability 0 on a model configured for guidance: one line, exit 2, nothing written
        Cli.Outcome bad = Cli.exec(args(tmp.resolve("bad1"), 2, "++trainer.criterion.cf_guidance_probability=0.0"));
        Cli.assertUserError(bad, "cf_guidance_probability", "trained_with_cf_guidance");
        assertFalse(Files.exists(tmp.resolve("bad1")));
        // the one-tower recipe with another family's arch
        assertEquals(2, run(List.of("train", "+pretrain=one_tower", "++trainer.output_dir=" + tmp.resolve("bad2"),
                "++trainer.model_arch=toy_two_tower_diffusion_lcm")));
    }

    @Test
    void supervisedFinetuningCountsOnlyAnswerSentences() throws Exception {
        Path sup = tmp.resolve("sup");
        dev.lcm4j.data.DataColumns cols = dev.lcm4j.data.DataColumns.sonar("prompt_sentences").withTarget("answer_sentences_sonar_emb", "answer_sentences");
        java.util.Random r = new java.util.Random(5);
        int validationAnswers = 0;
        for (String split : List.of("train", "validation")) {
            List<dev.lcm4j.data.Document> docs = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                int np = 2 + r.nextInt(4), na = 1 + r.nextInt(3);
                float[][] p = new float[np][16], ans = new float[na][16];
                for (float[] v : p) for (int j = 0; j < 16; j++) v[j] = (float) r.nextGaussian() * 0.01f;
                for (float[] v : ans) for (int j = 0; j < 16; j++) v[j] = (float) r.nextGaussian() * 0.01f;
                if (split.equals("validation")) validationAnswers += na;
                docs.add(new dev.lcm4j.data.Document(split + i, java.util.Collections.nCopies(np, "p"), p, java.util.Collections.nCopies(na, "a"), ans, null));
            }
            dev.lcm4j.data.LcmParquetWriter.write(sup.resolve("split=" + split).resolve("part-0.parquet"), cols, 16, 4, docs);
        }
        Files.writeString(sup.resolve("cards.yaml"), String.join("\n", "name: supdata1t", "parquet_path:", "  local: .",
                "source_column: prompt_sentences_sonar_emb", "source_text_column: prompt_sentences",
                "target_column: answer_sentences_sonar_emb", "target_text_column: answer_sentences", ""));
        System.setProperty("LCM_CARDS_PATH", data + ":" + cards + ":" + sup);
        try {
            Path out = tmp.resolve("supft");
            List<String> a = new ArrayList<>(List.of("train", "+finetune=one_tower", "++trainer.output_dir=" + out,
                    "~trainer.model_config_or_name", "++trainer.model_arch=toy_one_tower_diffusion_lcm", overrides(true),
                    "++trainer.training_data=[{name: supdata1t=train}]", "++trainer.validation_data=[{name: supdata1t=validation}]",
                    "++trainer.dtype=torch.bfloat16", "++trainer.max_steps=3", "++trainer.num_lr_warmup_steps=1",
                    "++trainer.checkpoint_every_n_steps=3", "++trainer.save_model_every_n_steps=3", "++trainer.validate_every_n_steps=3",
                    "++trainer.data_loading_config.max_tokens=40"));
            assertEquals(0, run(a));
            String valid = Files.readAllLines(out.resolve("metrics.jsonl")).stream().filter(l -> l.contains("Valid | supdata1t")).findFirst().orElseThrow();
            assertEquals(validationAnswers, (int) Double.parseDouble(valid.replaceAll(".*\"num_target_elements\": ([^,}]+).*", "$1")), valid);
            assertTrue(metric(out, "Train", "loss").stream().allMatch(Double::isFinite), "bf16 autocast losses are finite");
            assertTrue(Files.readString(out.resolve("config_logs/all_config.yaml")).contains("one_tower_diffusion_next_sent_finetuning"));
        } finally {
            System.setProperty("LCM_CARDS_PATH", data + ":" + cards);
        }
    }
}
