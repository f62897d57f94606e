package dev.lcm4j.models.normalizer;

import dev.lcm4j.io.OrderedDict;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.io.TorchFile;
import dev.lcm4j.io.Tuple;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The reference's normalizer file: {@code torch.save({"model": OrderedDict(center, scale[, clip_min, clip_max]), "dataset_mixture": ...})}. */
public final class NormalizerFiles {
    private NormalizerFiles() {}

    public static void write(Path file, NormalizerFit.Stats s, Map<String, Double> mixture) {
        OrderedDict<String, Object> model = new OrderedDict<>();
        int d = s.center().length;
        model.put("center", StoredTensor.ofFloats(s.center(), d));
        model.put("scale", StoredTensor.ofFloats(s.scale(), d));
        if (s.clipMin() != null) {
            model.put("clip_min", StoredTensor.ofFloats(s.clipMin(), d));
            model.put("clip_max", StoredTensor.ofFloats(s.clipMax(), d));
        }
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("model", model);
        List<Object> mix = new ArrayList<>();
        mixture.forEach((k, v) -> mix.add(Tuple.of(k, v)));
        top.put("dataset_mixture", mix);
        TorchFile.write(file, top);
    }
}
