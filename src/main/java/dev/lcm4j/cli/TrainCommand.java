package dev.lcm4j.cli;

import dev.lcm4j.config.LauncherConfig;
import dev.lcm4j.config.RecipeComposer;
import dev.lcm4j.config.TrainRunConfig;
import dev.lcm4j.dist.DistributedEnvironment;
import dev.lcm4j.dist.DistributedGroup;
import dev.lcm4j.dist.DistributedGroup.Timeouts;
import dev.lcm4j.torch.TorchRuntime;
import dev.lcm4j.train.Preemption;
import dev.lcm4j.train.Trainer;
import dev.lcm4j.train.TrainingRun;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import org.yaml.snakeyaml.Yaml;

/** {@code ./lcm train}: composes a recipe with Hydra-style overrides and runs the trainer. */
@Command(name = "train", description = {
        "Trains an LCM from a recipe with Hydra-style overrides, as `python -m lcm.train`:",
        "  ./lcm train +pretrain=mse ++trainer.output_dir=OUT ++trainer.model_arch=toy_base_lcm ...",
        "Groups: +pretrain=mse|two_tower, +finetune=mse|two_tower, launcher=standalone. Re-running with the same",
        "output_dir resumes from its last checkpoint."})
final class TrainCommand implements Runnable {
    @Parameters(arity = "0..*", paramLabel = "OVERRIDE", description = "+group=option, ++a.b=c, a.b=c, ~a.b")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--overwrite", description = "Delete checkpoints of a different run found in output_dir instead of refusing.")
    boolean overwrite;

    @Option(names = "--stop_after_steps", description = "Stop (with a checkpoint) once this step is reached; run again to resume.")
    Long stopAfter;

    @Option(names = "--recipes", description = "Recipes directory (default: $LCM4J_HOME/recipes).")
    Path recipes;

    @Override
    public void run() {
        Map<String, Object> tree = RecipeComposer.compose(recipes != null ? recipes : LauncherHome.recipes(), overrides);
        TrainRunConfig cfg = TrainRunConfig.fromTree(tree);
        if (cfg.dry_run()) {
            System.out.print(new Yaml().dump(cfg.toTree()));
            return;
        }
        TorchRuntime.init();
        Preemption.install();
        DistributedEnvironment env = DistributedEnvironment.fromEnvironment();
        LauncherConfig launcher = cfg.launcher();
        Timeouts timeouts = new Timeouts(Duration.ofSeconds(launcher.rendezvous_timeout_s()), Duration.ofSeconds(launcher.collective_timeout_s()));
        Trainer.Result r;
        try (DistributedGroup group = DistributedGroup.join(env, timeouts)) {
            r = new Trainer(new TrainingRun(cfg), overwrite, group).stopAfter(stopAfter == null ? Long.MAX_VALUE : stopAfter).train();
            if (!group.isMain()) return; // rank 0 reports for the job
        }
        if (Double.isNaN(r.lastLoss())) {
            System.out.printf("already trained to step %d (trainer.max_steps); raise max_steps to continue; model card %s%n",
                    r.steps(), r.outputDir().resolve("model_card.yaml"));
            return;
        }
        System.out.printf("trained to step %d; last loss %.6g%s; model card %s%n", r.steps(), r.lastLoss(),
                r.lastValidLoss() == null ? "" : String.format("; validation loss %.6g", r.lastValidLoss()),
                r.outputDir().resolve("model_card.yaml"));
    }
}
