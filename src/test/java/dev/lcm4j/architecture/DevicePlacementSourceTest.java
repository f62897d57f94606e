package dev.lcm4j.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No CPU test can prove that tensors land on the model's device (libtorch's meta device does not check devices), so
 * this guards the code instead: in the packages a model runs in, a tensor is created without a device (on the CPU)
 * only where the list below says why. A new {@code opts(dtype, null)}, {@code ParamFactory.cpu()} or CPU device in
 * those packages fails here until it is given the model's device or added to the list with its reason.
 */
class DevicePlacementSourceTest {
    static final Pattern CPU_CREATION = Pattern.compile("opts\\([^()]*, null\\)|ParamFactory\\.cpu\\(\\)|new Device\\(\"cpu\"\\)");

    /**
     * Packages that run on the CPU only and have no device setting: the residual vector quantizer ({@code ./lcm rvq},
     * k-means over concept vectors). A family that runs a quantizer inside a model on a GPU must move it first.
     */
    static final List<String> CPU_ONLY_PACKAGES = List.of("models/quant/");

    /** file (relative to src/main/java/dev/lcm4j) -> number of deliberate CPU creations, and why. */
    static final Map<String, Integer> ALLOWED = new TreeMap<>(Map.of(
            "nn/ParamFactory.java", 1,              // ParamFactory.cpu() itself
            "nn/RotaryEncoder.java", 2,             // the RoPE table is computed on the CPU (bit-equal to fairseq2), then moved
            "concepts/sonar/SonarFrontend.java", 2, // the sinusoid table likewise
            "train/Checkpointer.java", 1,           // the CPU generator's state
            "train/AdamW.java", 1,                  // zeros_like(p, dtype only): takes p's device
            "models/quantlcm/QuantLcmCriterion.java", 1 // codebook indices drawn from the CPU generator (as the steps of the diffusion criteria), then moved
    ));

    @Test
    void tensorsOfTheModelPackagesAreCreatedOnTheModelsDevice() throws IOException {
        Path root = Path.of("src/main/java/dev/lcm4j");
        Map<String, Integer> found = new TreeMap<>();
        List<String> lines = new ArrayList<>();
        for (String pkg : List.of("nn", "models", "inference", "train", "eval", "concepts/sonar")) {
            try (Stream<Path> files = Files.walk(root.resolve(pkg))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    String rel = root.relativize(f).toString().replace('\\', '/');
                    if (CPU_ONLY_PACKAGES.stream().anyMatch(rel::startsWith)) continue;
                    int n = 0;
                    for (String line : Files.readAllLines(f)) {
                        String code = line.strip();
                        if (code.startsWith("*") || code.startsWith("//")) continue;
                        var m = CPU_CREATION.matcher(code);
                        while (m.find()) {
                            n++;
                            lines.add(rel + ": " + code);
                        }
                    }
                    if (n > 0) found.put(rel, n);
                }
            }
        }
        assertEquals(ALLOWED, found, "tensors created on the CPU in model code:\n" + String.join("\n", lines));
    }
}
