package dev.lcm4j.cli;

import dev.lcm4j.data.DataColumns;
import dev.lcm4j.data.DataStats;
import dev.lcm4j.data.DatacardRegistry;
import dev.lcm4j.data.Dataset;
import dev.lcm4j.data.SyntheticData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import dev.lcm4j.LcmException;

/** {@code ./lcm data synth|stats}: synthetic datasets and per-split statistics of LCM parquet data. */
@Command(name = "data", description = "Datasets in the LCM parquet schema.", subcommands = {DataCommand.Synth.class, DataCommand.Stats.class, DataCommand.Verify.class})
final class DataCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(name = "synth", description = "Writes a synthetic train/validation dataset (smooth random walks on the sphere) and DIR/datacard.yaml.")
    static final class Synth implements Runnable {
        @Option(names = "--output", required = true) Path output;
        @Option(names = "--name", required = true) String name;
        @Option(names = "--docs", defaultValue = "200") int docs;
        @Option(names = "--dim", defaultValue = "1024") int dim;
        @Option(names = "--seed", defaultValue = "0") long seed;

        @Override
        public void run() {
            if (docs < 2) throw new LcmException("--docs must be at least 2 (train and validation), got " + docs);
            if (dim < 1) throw new LcmException("--dim must be positive, got " + dim);
            if (!name.matches("[a-zA-Z0-9_]+")) throw new LcmException("--name must match [a-zA-Z0-9_]+ (datacard names), got " + name);
            SyntheticData.Result r = SyntheticData.write(output, name, docs, dim, seed);
            System.out.printf("wrote %d train and %d validation documents to %s; datacard %s (add %s to LCM_CARDS_PATH or copy it to ./datacards/)%n",
                    r.trainDocs(), r.validationDocs(), output, r.datacard(), output.toAbsolutePath());
        }
    }

    /** Statistics of a dataset directory or datacard name, reading (and so checking) every row group. */
    static Map<String, DataStats> statsOf(String target) {
        Path p = Paths.get(target);
        if (Files.exists(p)) {
            Path card = p.resolve("datacard.yaml");
            DataColumns cols = Files.isRegularFile(card) ? DatacardRegistry.parse(card).get(0).columns() : SyntheticData.COLUMNS;
            return DataStats.of(p, cols);
        }
        Dataset ds = DatacardRegistry.fromEnvironment().resolve(target);
        return DataStats.of(ds.root(), ds.columns());
    }

    @Command(name = "verify", description = {"Reads every row group of a dataset and checks its page checksums and every vector",
            "(dimension, NaN/Inf); prints what was checked, or one line naming the damaged file and row group."})
    static final class Verify implements Runnable {
        @Parameters(paramLabel = "DIR|NAME") String target;

        @Override
        public void run() {
            long docs = 0, files = 0, groups = 0;
            for (DataStats s : statsOf(target).values()) {
                docs += s.documents();
                files += s.files();
                groups += s.rowGroups();
            }
            System.out.printf("verified %d files, %d row groups, %d documents of %s: no damage found%n", files, groups, docs, target);
        }
    }

    @Command(name = "stats", description = "Prints one line per split: split=S documents=N sentences=M dim=D "
            + "(with target_sentences=T after the sentences for data with a target column).")
    static final class Stats implements Runnable {
        @Parameters(paramLabel = "DIR|NAME") String target;

        @Override
        public void run() {
            Map<String, DataStats> stats = statsOf(target);
            for (DataStats s : stats.values()) {
                System.out.printf("split=%s documents=%d sentences=%d%s dim=%d%n", s.split(), s.documents(), s.sentences(),
                        s.targetSentences() >= 0 ? " target_sentences=" + s.targetSentences() : "", s.dim());
            }
        }
    }
}
