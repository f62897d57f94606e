package dev.lcm4j.config;

import dev.lcm4j.LcmException;

import java.util.Map;

/**
 * A whole composed training config: the root of {@code recipes/train/defaults.yaml} after composition.
 *
 * @param dry_run  build the trainer and print the config without training. Default false.
 * @param launcher launcher settings. Default {@link LauncherConfig#defaults()}.
 * @param trainer  training settings. Required.
 */
public record TrainRunConfig(boolean dry_run, LauncherConfig launcher, TrainingConfig trainer) {

    public static TrainRunConfig defaults() {
        return new TrainRunConfig(false, LauncherConfig.defaults(), TrainingConfig.defaults());
    }

    /** Binds a composed tree (see {@link RecipeComposer#compose}) and validates it. */
    public static TrainRunConfig fromTree(Map<String, Object> tree) {
        TrainRunConfig config = ConfigBinder.bind(tree, TrainRunConfig.class, "");
        config.validate();
        return config;
    }

    public void validate() {
        if (launcher == null) throw new LcmException("launcher is required");
        launcher.validate("launcher");
        if (trainer == null) throw new LcmException("trainer is required");
        trainer.validate();
    }

    /** The full config as a tree, every field present (what {@link ConfigDump} writes). */
    public Map<String, Object> toTree() {
        return ConfigBinder.toTree(this);
    }
}
