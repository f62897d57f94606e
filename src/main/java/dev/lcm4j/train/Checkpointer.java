package dev.lcm4j.train;

import static org.bytedeco.pytorch.global.torch.empty;
import static org.bytedeco.pytorch.global.torch.getDefaultCPUGenerator;

import dev.lcm4j.LcmException;
import dev.lcm4j.dist.DistributedGroup;
import dev.lcm4j.io.AtomicFiles;
import dev.lcm4j.io.FileTrees;
import dev.lcm4j.io.TorchFile;
import dev.lcm4j.models.Checkpoints;
import dev.lcm4j.models.Lcm;
import dev.lcm4j.torch.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.Yaml;
import org.bytedeco.pytorch.global.torch;

/**
 * The training run's checkpoints: {@code checkpoints/step_N/} holds {@code model.pt} (the reference's format),
 * {@code optimizer.pt}, {@code trainer_state.yaml} (step, data passes, data-loader position, torch RNG state, the fp16
 * loss scaler's scale and count of clean steps) and
 * {@code model_card.yaml}; with several processes, {@code trainer_state.yaml} holds every rank's data position and RNG
 * state and the world size. A directory is written under a temporary name and renamed, so a crash never leaves a
 * {@code step_N} that resume would trust; only the last {@code keep_last_n_checkpoints} are kept.
 */
final class Checkpointer {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);

    /**
     * What a checkpoint holds besides the model and optimizer tensors.
     *
     * @param bestValidation {@link BestValidation#toMap()} as saved, or null (saved before it existed)
     * @param lossScaler     {@link DynamicLossScaler#state()} as saved, or null (the run did not scale the loss)
     */
    record TrainerState(long step, long passes, Map<String, Object> loader, String rng, Map<String, Object> bestValidation,
                        Map<String, Object> lossScaler) {}

    private final TrainingRun run;
    private final DistributedGroup group;

    Checkpointer(TrainingRun run, DistributedGroup group) {
        this.run = run;
        this.group = group;
    }

    /** The complete checkpoints of a run, oldest first. */
    static List<Path> stepDirs(Path checkpointDir) {
        if (!Files.isDirectory(checkpointDir)) return List.of();
        try (Stream<Path> s = Files.list(checkpointDir)) {
            return s.filter(p -> p.getFileName().toString().matches("step_\\d+") && Files.isRegularFile(p.resolve("model.pt")))
                    .sorted(Comparator.comparingLong(Checkpointer::stepOf)).toList();
        } catch (IOException e) {
            throw new LcmException("cannot list " + checkpointDir + ": " + e.getMessage());
        }
    }

    /** Removes {@code step_N.tmp-PID} directories, the half-written checkpoints of runs that were killed. */
    static void deleteTemporaries(Path checkpointDir) {
        if (!Files.isDirectory(checkpointDir)) return;
        try (Stream<Path> s = Files.list(checkpointDir)) {
            for (Path p : s.filter(x -> x.getFileName().toString().matches("step_\\d+\\.tmp-\\d+")).toList()) {
                LOG.info("removing {}, a checkpoint a killed run did not finish", p.getFileName());
                FileTrees.deleteTree(p);
            }
        } catch (IOException e) {
            throw new LcmException("cannot clean " + checkpointDir + ": " + e.getMessage());
        }
    }

    static long stepOf(Path stepDir) {
        return Long.parseLong(stepDir.getFileName().toString().substring(5));
    }

    /** The newest complete checkpoint, or null. */
    Path latest() {
        List<Path> all = stepDirs(run.checkpointDir);
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    /**
     * Writes {@code step_<step>} atomically, then prunes old checkpoints. Every rank calls it: the ranks' data
     * positions and RNG states are gathered (and, for a sharded optimizer, its slices), rank 0 writes, and no rank
     * returns before the checkpoint is complete. Pruning never deletes {@code best}'s step.
     *
     * @param lossScaler {@link DynamicLossScaler#state()}: the same on every rank; null without loss scaling
     */
    void save(long step, long passes, Lcm model, ParameterUpdater updater, Map<String, Object> loaderState, BestValidation best,
              Map<String, Object> lossScaler) {
        Map<String, Object> mine = new LinkedHashMap<>();
        mine.put("data_passes", passes);
        mine.put("training_data_loader", loaderState);
        mine.put("rng_state", rngState());
        List<String> perRank = group.allgatherStrings(new Yaml().dump(mine));
        Map<String, Object> optimizerState = updater.stateDict();
        if (group.isMain()) write(step, model, optimizerState, perRank, best, lossScaler);
        group.barrier();
    }

    @SuppressWarnings("unchecked")
    private void write(long step, Lcm model, Map<String, Object> optimizerState, List<String> perRank, BestValidation best,
                       Map<String, Object> lossScaler) {
        Path finalDir = run.checkpointDir.resolve("step_" + step);
        Path tmp = run.checkpointDir.resolve("step_" + step + ".tmp-" + ProcessHandle.current().pid());
        try {
            FileTrees.deleteTree(tmp);
            Files.createDirectories(tmp);
            Checkpoints.saveModel(tmp.resolve("model.pt"), model);
            TorchFile.write(tmp.resolve("optimizer.pt"), optimizerState);
            Map<String, Object> ts = new LinkedHashMap<>();
            ts.put("step", step);
            ts.put("world_size", perRank.size());
            ts.put("best_validation", best.toMap());
            if (lossScaler != null) ts.put("loss_scaler", lossScaler);
            if (perRank.size() == 1) {
                ts.putAll((Map<String, Object>) new Yaml().load(perRank.get(0)));
            } else {
                List<Object> ranks = new ArrayList<>();
                for (String r : perRank) ranks.add(new Yaml().load(r));
                ts.put("ranks", ranks);
            }
            AtomicFiles.writeString(tmp.resolve("trainer_state.yaml"), new Yaml().dump(ts));
            run.writeModelCard(tmp.resolve("model_card.yaml"), finalDir, finalDir.resolve("model.pt"), step);
            FileTrees.deleteTree(finalDir);
            AtomicFiles.move(tmp, finalDir);
        } catch (IOException e) {
            throw new LcmException("cannot write checkpoint " + finalDir + ": " + e.getMessage());
        }
        prune(best.step());
    }

    private void prune(long bestStep) {
        int keep = run.cfg.keep_last_n_checkpoints();
        if (keep <= 0) return;
        List<Path> all = stepDirs(run.checkpointDir);
        for (int i = 0; i < all.size() - keep; i++) {
            if (stepOf(all.get(i)) == bestStep && run.cfg.keep_best_checkpoint()) continue; // the run's model card points at it
            try {
                FileTrees.deleteTree(all.get(i));
            } catch (IOException e) {
                LOG.warn("cannot delete old checkpoint {}: {}", all.get(i), e.getMessage());
            }
        }
    }

    /**
     * Loads model and optimizer from {@code dir} and returns this rank's data position and RNG state (the caller
     * restores them). A checkpoint of another world size is refused: each rank's data position is its own.
     */
    @SuppressWarnings("unchecked")
    TrainerState restore(Path dir, Lcm model, ParameterUpdater updater) {
        Path stateFile = dir.resolve("trainer_state.yaml");
        Map<String, Object> ts;
        int saved;
        try {
            ts = new Yaml().load(Files.readString(stateFile));
            if (ts == null || !(ts.get("step") instanceof Number)) throw new IllegalArgumentException("it has no step");
            saved = ts.get("world_size") instanceof Number n ? n.intValue() : 1;
        } catch (IOException | RuntimeException e) {
            throw damaged(dir, stateFile, e);
        }
        if (saved != group.worldSize()) {
            throw new LcmException("checkpoint " + dir + " was written by " + saved + " process(es) but this run has "
                    + group.worldSize() + "; resume with the same number of processes (each keeps its own data position),"
                    + " or start a new output_dir and finetune from the checkpoint's model card");
        }
        Checkpoints.load(dir.resolve("model.pt"), model);
        updater.loadStateDict(TorchFile.readMap(dir.resolve("optimizer.pt")), dir.resolve("optimizer.pt").toString());
        try {
            Map<String, Object> mine = saved == 1 ? ts : (Map<String, Object>) ((List<Object>) ts.get("ranks")).get(group.rank());
            return new TrainerState(((Number) ts.get("step")).longValue(), ((Number) mine.get("data_passes")).longValue(),
                    (Map<String, Object>) mine.get("training_data_loader"), (String) mine.get("rng_state"),
                    (Map<String, Object>) ts.get("best_validation"), (Map<String, Object>) ts.get("loss_scaler"));
        } catch (RuntimeException e) {
            throw damaged(dir, stateFile, e);
        }
    }

    /** One line naming the damaged file and the way out: the previous checkpoint, or starting over. */
    private LcmException damaged(Path dir, Path file, Exception e) {
        String problem = String.valueOf(e.getMessage()).lines().findFirst().orElse("").strip();
        List<Path> all = stepDirs(run.checkpointDir);
        int at = all.indexOf(dir);
        String fix = at > 0 ? "delete " + dir + " to resume from the previous checkpoint " + all.get(at - 1).getFileName()
                : "pass --overwrite to start the run over";
        return new LcmException(file + " is damaged (" + problem + "); " + fix, e);
    }

    /** The default CPU generator's state, base64 (restored bit for bit by {@link #setRngState}). */
    static String rngState() {
        try (PointerScope s = new PointerScope()) {
            Tensor st = getDefaultCPUGenerator().get_state();
            byte[] b = new byte[(int) st.numel()];
            st.contiguous().data_ptr_byte().get(b, 0, b.length);
            return Base64.getEncoder().encodeToString(b);
        }
    }

    static void setRngState(String b64) {
        byte[] b = Base64.getDecoder().decode(b64);
        try (PointerScope s = new PointerScope()) {
            Tensor t = empty(new long[] {b.length}, Tensors.opts(ScalarType.Byte, null), null);
            t.data_ptr_byte().put(b, 0, b.length);
            getDefaultCPUGenerator().set_state(t);
        }
    }
}
