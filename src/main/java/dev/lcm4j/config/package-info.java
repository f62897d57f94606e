/**
 * Training configuration: Hydra-style composition of the {@code recipes/} directory and typed binding onto records.
 *
 * <p>Flow: {@link dev.lcm4j.config.RecipeComposer#compose} builds a tree from {@code recipes/train/defaults.yaml},
 * its defaults list, {@code +group=option} recipes and key overrides; {@link dev.lcm4j.config.TrainRunConfig#fromTree}
 * binds it with {@link dev.lcm4j.config.ConfigBinder} and validates it; {@link dev.lcm4j.config.ConfigDump} writes
 * {@code config_logs/all_config.yaml}.
 *
 * <p>Differences from the reference (Hydra + OmegaConf + dacite):
 * <ul>
 *   <li>The default launcher is {@code standalone}; {@code launcher=submitit} (or {@code slurm}) submits a SLURM job
 *       from {@code trainer.requirements} (see {@code dev.lcm4j.launch.SlurmLauncher}).</li>
 *   <li>Unknown keys are errors (dacite's non-strict mode drops them silently), except
 *       {@code data_loading_config.min_length_after_batching}, found in the reference pretrain recipes, which is
 *       skipped with a warning (the reference ignores it silently; docs/quirks.md #17).</li>
 *   <li>Dotless exponent scalars ({@code 1e-4}, {@code 3e-05}) load as floats, in files and overrides alike
 *       (plain YAML 1.1 makes them strings).</li>
 *   <li>An interpolation of a value that is still {@code ???} stays unresolved after composition; binding reports
 *       the missing key ({@code trainer.output_dir is required: add ++trainer.output_dir=DIR}).</li>
 *   <li>Interpolation resolvers ({@code ${oc.env:X}}) and nested defaults lists in group files are not supported.</li>
 *   <li>FSDP, {@code use_submitit} and W&amp;B fields bind (so reference recipes and dumps load) but have no effect.</li>
 * </ul>
 */
package dev.lcm4j.config;
