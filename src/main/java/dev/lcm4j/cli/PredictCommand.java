package dev.lcm4j.cli;

import dev.lcm4j.data.DataColumns;
import dev.lcm4j.models.ModelCards;
import dev.lcm4j.models.ModelLoader;
import dev.lcm4j.inference.TeacherForcedPredictor;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.nn.ParamFactory;
import dev.lcm4j.torch.Tensors;
import dev.lcm4j.torch.TorchRuntime;
import dev.lcm4j.models.EmbeddingsBatch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import org.bytedeco.pytorch.global.torch;

/** {@code ./lcm predict}: teacher-forced next-concept prediction for every position. */
@Command(name = "predict", description = {"Teacher-forced next-sentence prediction for every position. Output position t",
        "predicts concept t+1 from concepts 0..t: the MSE LCM's predict_next_sentence, or the two-tower model's DDIM",
        "sampling of all positions at once."})
final class PredictCommand implements Runnable {
    @Option(names = "--model_card", required = true, description = "Card name, model_card.yaml path, training dir or model.pt") String card;
    @Option(names = "--input", required = true, description = ".npy float32 [B,T,D] or LCM parquet") Path input;
    @Option(names = "--output", required = true, description = ".npy or .parquet") Path output;
    @Option(names = "--column", defaultValue = "text_sentences", description = "Sentence column of parquet input; embeddings are <column>_sonar_emb") String column;
    @Option(names = "--batch_size", defaultValue = "16") int batchSize;
    @Option(names = "--seed", defaultValue = "42", description = "Two-tower: seeds the initial latents (the reference's predictors use 42)") long seed;
    @picocli.CommandLine.Mixin SamplingOptionsMixin sampling = new SamplingOptionsMixin();
    @picocli.CommandLine.Mixin DeviceOption device = new DeviceOption();

    @Override
    public void run() {
        ConceptFiles.checkOutput(output);
        TorchRuntime.init();
        org.bytedeco.pytorch.Device on = device.resolve(); // a device this machine cannot give: before any file is read
        Lcm model = ModelLoader.load(ModelCards.resolve(card), ParamFactory.on(on), true);
        model.train(false);
        TeacherForcedPredictor predictor = new TeacherForcedPredictor(model,
                ModelFamilies.of(model).samplingOptions(sampling.given(), "sampling options"));
        torch.manual_seed(seed);
        DataColumns cols = DataColumns.sonar(column);
        List<float[][]> docs = ConceptFiles.read(input, cols, model.sonarEmbedDim());
        List<float[][]> out = new ArrayList<>();
        int d = model.outputDim();
        try (var bar = Progress.bar("predict", docs.size())) {
            for (int i = 0; i < docs.size(); i += batchSize) {
                List<float[][]> chunk = docs.subList(i, Math.min(docs.size(), i + batchSize));
                try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                    EmbeddingsBatch b = EmbeddingsBatch.of(chunk, null);
                    Tensor y = predictor.predict(b);
                    float[] flat = Tensors.toFloats(y);
                    int t = (int) y.size(1);
                    for (int r = 0; r < chunk.size(); r++) {
                        float[][] doc = new float[chunk.get(r).length][d];
                        for (int p = 0; p < doc.length; p++) System.arraycopy(flat, (r * t + p) * d, doc[p], 0, d);
                        out.add(doc);
                    }
                }
                bar.stepBy(chunk.size());
            }
        }
        ConceptFiles.write(output, out, cols);
        System.out.printf("wrote predictions for %d documents to %s%n", out.size(), output);
    }
}
