package dev.lcm4j.models;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.ConfigBinder;
import dev.lcm4j.io.StoredTensor;
import dev.lcm4j.models.normalizer.SonarNormalizer;
import dev.lcm4j.models.normalizer.SonarNormalizerConfig;
import dev.lcm4j.nn.ParamFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.LinkedHashMap;
import org.bytedeco.pytorch.Tensor;

/**
 * Builds models from cards, as fairseq2's loaders do: the config is the named {@code model_arch} with the card's
 * {@code model_config} merged over it (nested keys merge, e.g. {@code lcm: {num_layers: 4}}); without an arch the
 * family's defaults are the base. The normalizer named by {@code sonar_normalizer_name} is loaded from its card.
 */
public final class ModelLoader {
    private ModelLoader() {}

    /** The config of a model of {@code family}: its arch (or the family defaults) with {@code overrides} merged. */
    public static Record config(String family, String arch, Map<String, Object> overrides, String where) {
        if (!ModelFamilies.contains(family)) {
            throw new LcmException(where + ": model family '" + family + "' is not an LCM; known: "
                    + String.join(", ", ModelFamilies.names()));
        }
        return config(ModelFamilies.get(family), arch, overrides, where);
    }

    private static <C extends Record> C config(ModelFamily<C, ?, ?> family, String arch, Map<String, Object> overrides, String where) {
        C base = arch == null ? family.defaultConfig() : family.configType().cast(archConfig(arch, family.name()));
        C c = overrides == null ? base : ConfigBinder.bindOnto(overrides, base, family.configType(), where);
        family.validate(c, where);
        return c;
    }

    /** A freshly initialised model of {@code config} (seeded by the caller), with its normalizer loaded from its card. */
    public static Lcm build(Record config, ParamFactory f) {
        ModelFamily<?, ?, ?> family = ModelFamilies.of(config);
        family.validateConfig(config, "model config");
        String normalizer = family.normalizerNameOf(config);
        SonarNormalizer n = normalizer == null ? null : loadNormalizer(normalizer, family.conceptDimOf(config), f);
        return family.buildOf(config, f, n);
    }

    /** Loads any LCM from its card (weights included when the card has a checkpoint). */
    public static Lcm load(ModelCard card, ParamFactory f, boolean requireCheckpoint) {
        Record c = config(card.family(), card.arch(), card.modelConfig(), "model card " + card.name() + " model_config");
        c = ModelFamilies.get(card.family()).resolvePathsOf(c, card);
        Path ckpt = card.checkpointPath();
        if (ckpt == null) {
            if (requireCheckpoint) {
                throw new LcmException("model card " + card.name() + " has no checkpoint (placeholder card?); register the card of a trained model");
            }
            return build(c, f);
        }
        if (!Files.isRegularFile(ckpt)) {
            throw new LcmException("checkpoint " + ckpt + " named by model card " + card.name() + " (" + card.source()
                    + ") does not exist; a relative checkpoint path is relative to the card's file, so a card copied"
                    + " elsewhere must point at the run's checkpoint");
        }
        ModelFamily<?, ?, ?> family = ModelFamilies.get(card.family());
        family.validateConfig(c, "model card " + card.name() + " model_config");
        Map<String, StoredTensor> state = family.mapCheckpointKeys(Checkpoints.readState(ckpt));
        // a trained model's checkpoint holds its normalizer: use it, so the run needs no normalizer card to load
        SonarNormalizer n = normalizerOf(state, f);
        if (n == null && family.normalizerNameOf(c) != null) n = loadNormalizer(family.normalizerNameOf(c), family.conceptDimOf(c), f);
        Lcm model = family.buildForCheckpointOf(c, f, n, state);
        Checkpoints.load(state, model, "checkpoint " + ckpt);
        return model;
    }

    /** The normalizer whose buffers a checkpoint holds ({@code ...sonar_normalizer.center} etc.), or null. */
    static SonarNormalizer normalizerOf(Map<String, StoredTensor> state, ParamFactory f) {
        StoredTensor center = null;
        boolean clip = false;
        for (Map.Entry<String, StoredTensor> e : state.entrySet()) {
            if (e.getKey().endsWith("sonar_normalizer.center")) center = e.getValue();
            if (e.getKey().endsWith("sonar_normalizer.clip_min")) clip = true;
        }
        if (center == null) return null;
        SonarNormalizerConfig cfg = SonarNormalizerConfig.defaults().withDim((int) center.numel());
        // the clip bounds come from the checkpoint; the probability only decides that they exist
        if (clip) cfg = cfg.toBuilder().clip_proba(1e-4).build();
        return new SonarNormalizer(f, cfg);
    }

    /**
     * Loads a model of {@code family} from its card (weights included when the card has a checkpoint); a card of
     * another family is refused by name.
     */
    public static <M extends Lcm> M load(ModelCard card, Class<M> type, ParamFactory f, boolean requireCheckpoint) {
        ModelFamily<?, ?, ?> family = ModelFamilies.contains(card.family()) ? ModelFamilies.get(card.family()) : null;
        if (family == null || !type.isAssignableFrom(family.modelType())) {
            throw new LcmException("model card " + card.name() + " is a " + card.family() + " model, not a " + type.getSimpleName()
                    + " (checkpoint from another family?)");
        }
        return type.cast(load(card, f, requireCheckpoint));
    }

    private static Record archConfig(String arch, String family) {
        ModelFamilies.Arch a = ModelFamilies.arch(arch);
        if (!a.family().equals(family)) {
            throw new LcmException("arch " + arch + " belongs to family " + a.family() + ", not " + family);
        }
        return a.config().get();
    }

    /** Loads a normalizer card (family sonar_normalizer) and checks its dimension against the model's. */
    public static SonarNormalizer loadNormalizer(String cardName, int expectedDim, ParamFactory f) {
        ModelCards cards = ModelCards.fromEnvironment();
        if (!cards.all().containsKey(cardName)) {
            throw new LcmException("the model's normalizer card '" + cardName + "' (sonar_normalizer_name) is not registered; fit it on"
                    + " the training data: ./lcm fit-normalizer --ds DATA=train --save_path DIR/" + cardName + ".pt --card_name "
                    + cardName + " (writes DIR/" + cardName + ".yaml), then put DIR on LCM_CARDS_PATH or in ./cards/");
        }
        ModelCard card = cards.get(cardName);
        if (!card.family().equals("sonar_normalizer")) {
            throw new LcmException("card " + cardName + " is a " + card.family() + " card, not a sonar_normalizer");
        }
        SonarNormalizerConfig cfg = card.arch() == null ? SonarNormalizerConfig.defaults() : SonarNormalizerConfig.arch(card.arch());
        if (card.modelConfig() != null) cfg = ConfigBinder.bindOnto(card.modelConfig(), cfg, SonarNormalizerConfig.class, "normalizer card " + cardName);
        Path ckpt = card.checkpointPath();
        if (ckpt == null || !Files.isRegularFile(ckpt)) {
            throw new LcmException("normalizer card " + cardName + " names checkpoint " + ckpt + ", which does not exist; fit one with ./lcm fit-normalizer");
        }
        Map<String, StoredTensor> st = Checkpoints.readState(ckpt);
        StoredTensor center = st.get("center");
        if (center == null) throw new LcmException("normalizer file " + ckpt + " has no 'center' tensor");
        int dim = (int) center.numel();
        cfg = cfg.withDim(dim);
        if (dim != expectedDim) {
            throw new LcmException("normalizer " + cardName + " has dimension " + dim + " but the model's sonar_embed_dim is " + expectedDim
                    + "; fit a normalizer on data of that dimension (./lcm fit-normalizer)");
        }
        if (st.containsKey("clip_min") && cfg.clip_proba() == null) {
            cfg = cfg.toBuilder().clip_proba(1e-4).with_fft(false).build();
        }
        SonarNormalizer n = new SonarNormalizer(f, cfg);
        n.loadStateDict(toTensors(st), true, "normalizer " + ckpt);
        return n;
    }

    private static Map<String, Tensor> toTensors(Map<String, StoredTensor> st) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        st.forEach((k, v) -> m.put(k, Checkpoints.toTensor(v)));
        return m;
    }
}
