package dev.lcm4j.cli;

import dev.lcm4j.LcmException;
import dev.lcm4j.data.DataColumns;
import dev.lcm4j.inference.GeneratorOptions;
import dev.lcm4j.inference.LcmGenerator;
import dev.lcm4j.io.Npy;
import dev.lcm4j.models.ModelCards;
import dev.lcm4j.models.ModelLoader;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.TorchRuntime;
import dev.lcm4j.torch.Devices;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import dev.lcm4j.eval.LcmPredictor;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;

/** {@code ./lcm generate}: autoregressive concept generation from concept files or from text. */
@Command(name = "generate", description = {"Autoregressive concept generation (KV cache, batched ragged prompts) with the",
        "MSE LCM or the two-tower diffusion LCM (DDIM, classifier-free guidance). Each output sequence is the prompt",
        "followed by the generated concepts."})
final class GenerateCommand implements Runnable {
    @Option(names = "--model_card", required = true) String card;
    @Option(names = "--input", description = "Prompts: .npy float32 [B,T,D] or LCM parquet (one prompt per document)") Path input;
    @Option(names = "--output", description = ".npy (zero-padded, lengths in <name>.lengths.npy) or .parquet") Path output;
    @Option(names = "--text", description = {"Text in, text out: split this prompt into sentences, encode them with the",
            "model card's concept encoder, generate, decode with its concept decoder and print the continuation"}) String text;
    @Option(names = "--encoder", description = "--text: concept encoder card (default: the model card's concept_encoder, else SONAR's)") String encoder;
    @Option(names = "--decoder", description = "--text: concept decoder card or bank:DIR (default: the model card's concept_decoder)") String decoder;
    @Option(names = "--lang", defaultValue = "eng_Latn", description = "--text: language of the prompt and of the decoded text") String lang;
    @Option(names = "--eos_text", description = "--text: stop when a concept is this close to the encoding of this sentence (e.g. 'End of text.')") String eosText;
    @Option(names = "--column", defaultValue = "text_sentences") String column;
    @Option(names = "--prompt_len", description = "Use only the first N concepts of each document as its prompt") Integer promptLen;
    @Option(names = "--max_gen_len", defaultValue = "16") int maxGenLen;
    @Option(names = "--min_gen_len", defaultValue = "1") int minGenLen;
    @Option(names = "--max_seq_len", defaultValue = "200", description = "Hard cap on max_gen_len (generator option)") int maxSeqLen;
    @Option(names = "--eos_npy", description = ".npy float32 [D] EOS concept (e.g. the embedding of 'End of text.')") Path eosNpy;
    @Option(names = "--eos_threshold", defaultValue = "0.9") double eosThreshold;
    @Option(names = "--stop_on_repetition_cosine_threshold") Double repetition;
    @Option(names = "--sample_latent_variable", defaultValue = "false", arity = "1",
            description = "MSE LCM: add N(0, temperature^2) noise in normalized space (reference default true; README disables it;"
                    + " docs/quirks.md #21)") boolean sample;
    @Option(names = "--temperature", defaultValue = "1.0") double temperature;
    @Option(names = "--seed") Long seed;
    @Option(names = "--trim_hypotheses", defaultValue = "false") boolean trim;
    @Option(names = "--disable_cache", defaultValue = "false") boolean disableCache;
    @Option(names = "--batch_size", defaultValue = "16") int batchSize;
    @picocli.CommandLine.Mixin SamplingOptionsMixin sampling = new SamplingOptionsMixin();
    @picocli.CommandLine.Mixin DeviceOption device = new DeviceOption();

    @Override
    public void run() {
        if (text != null) {
            if (input != null || output != null) throw new LcmException("--text prints its continuation; do not combine it with --input/--output");
            runText();
            return;
        }
        if (input == null || output == null) throw new LcmException("give --input X --output Y (concept files) or --text \"...\" (text in, text out)");
        ConceptFiles.checkOutput(output);
        TorchRuntime.init();
        org.bytedeco.pytorch.Device on = device.resolve(); // a device this machine cannot give: before any file is read
        Lcm model = ModelLoader.load(ModelCards.resolve(card), ParamFactory.on(on), true);
        int dim = model.sonarEmbedDim();
        Record samplingOptions = ModelFamilies.of(model).samplingOptions(sampling.given(), "sampling options");
        DataColumns cols = DataColumns.sonar(column);
        List<float[][]> prompts = ConceptFiles.read(input, cols, dim);
        if (promptLen != null) {
            if (promptLen < 1) throw new LcmException("--prompt_len must be >= 1");
            List<float[][]> cut = new ArrayList<>();
            for (float[][] p : prompts) cut.add(Arrays.copyOf(p, Math.min(promptLen, p.length)));
            prompts = cut;
        }
        float[] eos = null;
        if (eosNpy != null) {
            eos = Npy.read(eosNpy).toFloatArray();
            if (eos.length != dim) throw new LcmException("EOS vector " + eosNpy + " has " + eos.length + " values; the model's dimension is " + dim);
        }
        GeneratorOptions opts = new GeneratorOptions(maxSeqLen, minGenLen, eos == null ? null : eosThreshold, sample, repetition,
                false, trim, seed, temperature);
        LcmGenerator gen = new LcmGenerator(model, opts, samplingOptions, eos);
        List<float[][]> out = new ArrayList<>();
        // counts generated concepts (at most max_gen_len per prompt; rows that stop early end the bar early)
        try (var bar = Progress.bar("generate: concepts", (long) prompts.size() * maxGenLen)) {
            for (int i = 0; i < prompts.size(); i += batchSize) {
                List<float[][]> chunk = prompts.subList(i, Math.min(prompts.size(), i + batchSize));
                out.addAll(gen.generate(chunk, maxGenLen, minGenLen, temperature, disableCache, bar::stepBy));
            }
            bar.maxHint(bar.getCurrent());
        }
        ConceptFiles.write(output, out, cols);
        System.out.printf("generated %d sequences to %s%n", out.size(), output);
    }

    private void runText() {
        GeneratorOptions opts = new GeneratorOptions(maxSeqLen, minGenLen, eosThreshold, sample, repetition, false, trim,
                seed, temperature);
        var cfg = new LcmPredictor.Config(ModelCards.resolve(card).family(), card, opts,
                sampling.given(), encoder, lang, decoder, lang, null, disableCache, temperature, null,
                Devices.describe(device.resolve()));
        try (var p = new LcmPredictor(cfg)) {
            List<String> prompt = p.concepts().split(text);
            float[][] concepts = p.concepts().encodeText(text);
            var eos = eosText == null ? null : Map.of("text", eosText);
            var pred = p.generate(Collections.singletonList(concepts), null, null, minGenLen, maxGenLen, null, eos).get(0);
            System.err.printf("prompt: %d sentences; generated %d with %s (encoder %s, decoder %s)%n", prompt.size(),
                    pred.texts().size(), card, p.concepts().encoderName(), p.concepts().decoderName());
            for (String s : pred.texts()) System.out.println(s);
        }
    }
}
