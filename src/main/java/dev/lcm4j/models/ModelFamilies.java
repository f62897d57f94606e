package dev.lcm4j.models;

import dev.lcm4j.LcmException;
import dev.lcm4j.models.baselcm.BaseLcmFamily;
import dev.lcm4j.models.onetower.OneTowerDiffusionLcmFamily;
import dev.lcm4j.models.quantlcm.QuantLcmFamily;
import dev.lcm4j.models.twotower.TwoTowerDiffusionLcmFamily;
import dev.lcm4j.nn.Module;
import dev.lcm4j.nn.ParamFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The registry of model families, and through them of archs, criteria and trainer names. This class and the
 * families' own packages are the only code that knows which families exist: the trainer, generator, evaluator and CLI
 * look a family up here by name, by config, by model, by criterion or by trainer name.
 */
public final class ModelFamilies {
    private ModelFamilies() {}

    // The families lcm4j ships, one line each. The first is what a config without model_type builds (as the reference).
    private static final List<ModelFamily<?, ?, ?>> BUILT_IN = List.of(
            BaseLcmFamily.INSTANCE,
            TwoTowerDiffusionLcmFamily.INSTANCE,
            OneTowerDiffusionLcmFamily.INSTANCE,
            QuantLcmFamily.DISCRETE,
            QuantLcmFamily.CONTINUOUS);

    private static final Map<String, ModelFamily<?, ?, ?>> FAMILIES = new LinkedHashMap<>();

    static {
        BUILT_IN.forEach(ModelFamilies::register);
    }

    /** A named arch: a complete config of one family. */
    public record Arch(String name, ModelFamily<?, ?, ?> modelFamily, Supplier<? extends Record> config) {
        /** The family's name. */
        public String family() {
            return modelFamily.name();
        }
    }

    /**
     * Registers a family that does not ship with lcm4j (a plug-in, or a test's). Its name, archs, criteria and trainer
     * names must not clash with those of a registered family.
     */
    public static synchronized void register(ModelFamily<?, ?, ?> family) {
        if (FAMILIES.containsKey(family.name())) {
            if (FAMILIES.get(family.name()) == family) return;
            throw new LcmException("model family " + family.name() + " is registered already");
        }
        for (ModelFamily<?, ?, ?> other : FAMILIES.values()) {
            clash("arch", family, other, List.copyOf(family.archs().keySet()), List.copyOf(other.archs().keySet()));
            clash("criterion", family, other, family.criterionNames(), other.criterionNames());
            clash("trainer name", family, other, family.trainerNames(), other.trainerNames());
        }
        FAMILIES.put(family.name(), family);
    }

    private static void clash(String what, ModelFamily<?, ?, ?> a, ModelFamily<?, ?, ?> b, List<String> x, List<String> y) {
        for (String n : x) {
            if (y.contains(n)) throw new LcmException(what + " " + n + " of model family " + a.name() + " is " + b.name() + "'s already");
        }
    }

    public static synchronized List<ModelFamily<?, ?, ?>> all() {
        return List.copyOf(FAMILIES.values());
    }

    public static List<String> names() {
        return all().stream().map(ModelFamily::name).toList();
    }

    /** The family called {@code name} ({@code model_family} of a card, {@code model_type} of a config). */
    public static ModelFamily<?, ?, ?> get(String name) {
        ModelFamily<?, ?, ?> f;
        synchronized (ModelFamilies.class) {
            f = FAMILIES.get(name);
        }
        if (f == null) throw new LcmException("model family '" + name + "' is not an LCM; known: " + String.join(", ", names()));
        return f;
    }

    /** Whether a family called {@code name} is registered. */
    public static synchronized boolean contains(String name) {
        return FAMILIES.containsKey(name);
    }

    /** What a config that names no model type builds: the first built-in family (the MSE LCM, as the reference). */
    public static ModelFamily<?, ?, ?> defaultFamily() {
        return BUILT_IN.get(0);
    }

    public static ModelFamily<?, ?, ?> of(Lcm model) {
        return get(model.family());
    }

    public static ModelFamily<?, ?, ?> of(Record config) {
        for (ModelFamily<?, ?, ?> f : all()) if (f.owns(config)) return f;
        throw new LcmException("unsupported model config " + config.getClass().getSimpleName());
    }

    /** The family a criterion trains. */
    public static ModelFamily<?, ?, ?> byCriterion(String criterion) {
        for (ModelFamily<?, ?, ?> f : all()) if (f.criterionNames().contains(criterion)) return f;
        throw new LcmException("unknown criterion '" + criterion + "'; known: " + String.join(", ", criterionNames()));
    }

    /** The family a reference {@code _trainer_} builder name trains. */
    public static ModelFamily<?, ?, ?> byTrainer(String trainer) {
        List<String> known = new ArrayList<>();
        for (ModelFamily<?, ?, ?> f : all()) {
            if (f.trainerNames().contains(trainer)) return f;
            known.addAll(f.trainerNames());
        }
        throw new LcmException("unknown trainer._trainer_ '" + trainer + "'; known: " + String.join(", ", known));
    }

    /** The family whose evaluation predictor is called {@code predictor}, or null. */
    public static ModelFamily<?, ?, ?> byPredictor(String predictor) {
        for (ModelFamily<?, ?, ?> f : all()) if (f.predictorName().equals(predictor)) return f;
        return null;
    }

    public static List<String> predictorNames() {
        return all().stream().map(ModelFamily::predictorName).toList();
    }

    public static List<String> criterionNames() {
        List<String> out = new ArrayList<>();
        for (ModelFamily<?, ?, ?> f : all()) out.addAll(f.criterionNames());
        return out;
    }

    /** Every arch of every family, in registration order. */
    public static Map<String, Arch> archs() {
        Map<String, Arch> m = new LinkedHashMap<>();
        for (ModelFamily<?, ?, ?> f : all()) {
            f.archs().forEach((name, config) -> m.put(name, new Arch(name, f, config)));
        }
        return m;
    }

    public static Arch arch(String name) {
        Arch a = archs().get(name);
        if (a == null) throw new LcmException("unknown arch '" + name + "'; known archs: " + String.join(", ", archs().keySet()));
        return a;
    }

    /** Builds the model of {@code config} on {@code f} without its normalizer: for counting and shape checks only. */
    public static Module buildBare(Record config, ParamFactory f) {
        return of(config).buildOf(config, f, null);
    }

    /** Exact parameter count, computed on the meta device so that no weights are allocated. */
    public static long parameterCount(Record config) {
        return buildBare(config, ParamFactory.meta()).parameterCount();
    }
}
