package dev.lcm4j.models;

import dev.lcm4j.LcmException;
import dev.lcm4j.models.baselcm.BaseLcm;
import dev.lcm4j.models.baselcm.BaseLcmArchs;
import dev.lcm4j.models.baselcm.BaseLcmConfig;
import dev.lcm4j.models.twotower.TwoTowerDiffusionLcm;
import dev.lcm4j.models.twotower.TwoTowerDiffusionLcmArchs;
import dev.lcm4j.models.twotower.TwoTowerDiffusionLcmConfig;
import dev.lcm4j.nn.Module;
import dev.lcm4j.nn.ParamFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** Every registered arch of every model family, by name. */
public final class ArchRegistry {
    private ArchRegistry() {}

    public record Arch(String name, String family, Supplier<? extends Record> config) {}

    public static Map<String, Arch> all() {
        Map<String, Arch> m = new LinkedHashMap<>();
        BaseLcmArchs.all().forEach((k, v) -> m.put(k, new Arch(k, BaseLcmConfig.FAMILY, v)));
        TwoTowerDiffusionLcmArchs.all().forEach((k, v) -> m.put(k, new Arch(k, TwoTowerDiffusionLcmConfig.FAMILY, v)));
        return m;
    }

    public static Arch get(String name) {
        Arch a = all().get(name);
        if (a == null) throw new LcmException("unknown arch '" + name + "'; known archs: " + String.join(", ", all().keySet()));
        return a;
    }

    public static List<String> families() {
        return new ArrayList<>(List.of(BaseLcmConfig.FAMILY, TwoTowerDiffusionLcmConfig.FAMILY));
    }

    /** Builds the model of {@code config} on {@code f} (no normalizer: counting and shape checks only). */
    public static Module buildBare(Record config, ParamFactory f) {
        if (config instanceof BaseLcmConfig c) return new BaseLcm(f, c, null);
        if (config instanceof TwoTowerDiffusionLcmConfig c) return new TwoTowerDiffusionLcm(f, c, null);
        throw new LcmException("unsupported model config " + config.getClass().getSimpleName());
    }

    /** Exact parameter count, computed on the meta device so that no weights are allocated. */
    public static long parameterCount(Record config) {
        return buildBare(config, ParamFactory.meta()).parameterCount();
    }
}
