package dev.lcm4j.cli;

import dev.lcm4j.concepts.retrieval.SentenceBank;
import dev.lcm4j.data.Dataset;
import dev.lcm4j.data.DatacardRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./lcm bank build}: the sentence bank of a prepared dataset, for the retrieval decoder. */
@Command(name = "bank", description = "Sentence banks for the retrieval decoder.", subcommands = BankCommand.Build.class)
final class BankCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(name = "build", description = {"Builds the sentence bank of a prepared dataset (every distinct sentence with",
            "its vector, all splits) as DIR/sentence_bank.bin; decode with --decoder bank:DIR."})
    static final class Build implements Runnable {
        @Parameters(paramLabel = "DIR|NAME", description = "Dataset directory (with datacard.yaml) or datacard name") String target;
        @Option(names = "--output", description = "Bank file (default: DIR/sentence_bank.bin)") Path output;

        @Override
        public void run() {
            long t0 = System.nanoTime();
            Path dir = Path.of(target);
            Path file;
            if (Files.isDirectory(dir)) {
                file = SentenceBank.build(dir, output != null ? output : dir.resolve(SentenceBank.FILE_NAME));
            } else {
                Dataset ds = DatacardRegistry.fromEnvironment().resolve(target);
                file = SentenceBank.build(ds.root(), ds.columns(), output != null ? output : ds.root().resolve(SentenceBank.FILE_NAME));
            }
            SentenceBank b = SentenceBank.open(file);
            System.out.printf("sentence bank %s: %d distinct sentences, dim %d (%.1f s)%n", file, b.size(), b.dim(), (System.nanoTime() - t0) / 1e9);
        }
    }
}
