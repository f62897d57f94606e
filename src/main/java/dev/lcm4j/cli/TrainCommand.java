package dev.lcm4j.cli;

import dev.lcm4j.LcmException;
import dev.lcm4j.config.LauncherConfig;
import dev.lcm4j.config.RecipeComposer;
import dev.lcm4j.config.TrainRunConfig;
import dev.lcm4j.dist.DistributedEnvironment;
import dev.lcm4j.dist.DistributedGroup;
import dev.lcm4j.dist.DistributedGroup.Timeouts;
import dev.lcm4j.launch.Slurm;
import dev.lcm4j.launch.SlurmJobFollower;
import dev.lcm4j.launch.SlurmJobSpec;
import dev.lcm4j.launch.SlurmLauncher;
import dev.lcm4j.torch.TorchRuntime;
import dev.lcm4j.train.Preemption;
import dev.lcm4j.train.Trainer;
import dev.lcm4j.train.TrainingRun;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import org.yaml.snakeyaml.Yaml;

/**
 * {@code ./lcm train}: composes a recipe with Hydra-style overrides and runs the trainer, in this process or in the
 * workers a launcher started; with {@code launcher=submitit} (or {@code slurm}) outside a SLURM step it submits a
 * SLURM job that runs this same command in every task instead.
 */
@Command(name = "train", description = {
        "Trains an LCM from a recipe with Hydra-style overrides, as `python -m lcm.train`:",
        "  ./lcm train +pretrain=mse ++trainer.output_dir=OUT ++trainer.model_arch=toy_base_lcm ...",
        "Groups: +pretrain=mse|two_tower, +finetune=mse|two_tower, launcher=standalone|submitit|slurm. Re-running with",
        "the same output_dir resumes from its last checkpoint.",
        "launcher=submitit submits a SLURM job shaped by trainer.requirements (++launcher.partition=P, qos, account);",
        "its script and log go to launcher.log_folder (OUT/executor_logs)."})
final class TrainCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "OVERRIDE", description = "+group=option, ++a.b=c, a.b=c, ~a.b")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--overwrite", description = "Delete checkpoints of a different run found in output_dir instead of refusing.")
    boolean overwrite;

    @Option(names = "--stop_after_steps", description = "Stop (with a checkpoint) once this step is reached; run again to resume.")
    Long stopAfter;

    @Option(names = "--recipes", description = "Recipes directory (default: $LCM4J_HOME/recipes).")
    Path recipes;

    @Option(names = {"--wait", "--follow"}, description = "With launcher=submitit: wait for the job, print its log as it is "
            + "written, and exit with the job's exit status.")
    boolean wait;

    @Override
    public Integer call() {
        Path recipeDir = recipes != null ? recipes : LauncherHome.recipes();
        Map<String, Object> tree = RecipeComposer.compose(recipeDir, overrides);
        TrainRunConfig cfg = TrainRunConfig.fromTree(tree);
        if (cfg.dry_run()) {
            System.out.print(new Yaml().dump(cfg.toTree()));
            return 0;
        }
        LauncherConfig launcher = cfg.launcher();
        DistributedEnvironment env = DistributedEnvironment.fromEnvironment();
        // started by nobody (no torchrun, no srun step): with the SLURM launcher this process only submits
        if (launcher.submitsToSlurm() && "single".equals(env.source())) return submit(cfg, recipeDir);
        if (wait) throw new LcmException("--wait follows a submitted SLURM job; it needs launcher=submitit (this run trains here)");
        TorchRuntime.init();
        Preemption.install();
        Timeouts timeouts = new Timeouts(Duration.ofSeconds(launcher.rendezvous_timeout_s()), Duration.ofSeconds(launcher.collective_timeout_s()));
        Trainer.Result r;
        try (DistributedGroup group = DistributedGroup.join(env, timeouts)) {
            r = new Trainer(new TrainingRun(cfg), overwrite, group).stopAfter(stopAfter == null ? Long.MAX_VALUE : stopAfter).train();
            if (!group.isMain()) return 0; // rank 0 reports (and requeues) for the job
        }
        if (r.preempted()) {
            // the checkpoint of this step is on disk: put the job back in the queue and end this attempt cleanly
            new SlurmLauncher(Slurm.fromEnvironment(), System.out)
                    .requeueAfterPreemption(env, System.getenv(), cfg.trainer().requirements().max_num_timeout(), r.steps());
            return 0;
        }
        if (Double.isNaN(r.lastLoss())) {
            System.out.printf("already trained to step %d (trainer.max_steps); raise max_steps to continue; model card %s%n",
                    r.steps(), r.outputDir().resolve("model_card.yaml"));
            return 0;
        }
        System.out.printf("trained to step %d; last loss %.6g%s; model card %s%n", r.steps(), r.lastLoss(),
                r.lastValidLoss() == null ? "" : String.format("; validation loss %.6g", r.lastValidLoss()),
                r.outputDir().resolve("model_card.yaml"));
        return 0;
    }

    /**
     * launcher=submitit: checks what can be checked here (SLURM's client, the model and criterion, the output
     * directory guard), then submits a job whose every task runs this command with the same overrides.
     */
    private int submit(TrainRunConfig cfg, Path recipeDir) {
        Slurm slurm = Slurm.fromEnvironment();
        slurm.require("sbatch", "use launcher=standalone to train on this machine");
        Path workDir = Path.of("").toAbsolutePath();
        SlurmJobSpec spec = SlurmJobSpec.training(cfg.trainer().requirements(), cfg.launcher(), cfg.trainer().experiment_name(), workDir);
        TrainingRun run = new TrainingRun(cfg);
        if (!overwrite) run.prepareOutputDir(false); // another run's checkpoints: refused now rather than in the job
        List<String> args = new ArrayList<>(List.of("train", "--recipes", recipeDir.toAbsolutePath().normalize().toString()));
        args.addAll(overrides);
        if (overwrite) args.add("--overwrite");
        if (stopAfter != null) args.add("--stop_after_steps=" + stopAfter);
        SlurmLauncher launcher = new SlurmLauncher(slurm, System.out);
        SlurmLauncher.Submitted job = launcher.submitTraining(spec, args);
        if (!wait) return 0;
        return launcher.follow(List.of(new SlurmJobFollower.Watched(job.jobId(), "training job", job.logs())));
    }
}
