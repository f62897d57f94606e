package dev.lcm4j.cli;

import dev.lcm4j.LcmException;
import dev.lcm4j.torch.OutOfMemory;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;

/** The {@code ./lcm} command line. User errors print one line and exit 2; crashes print a stack trace and exit 1. */
@Command(name = "lcm", mixinStandardHelpOptions = true, version = "lcm4j 0.1.0",
        description = "Large Concept Models on the JVM.",
        subcommands = {ArchCommand.class, TrainCommand.class, FitNormalizerCommand.class, DataCommand.class,
                PredictCommand.class, GenerateCommand.class, PrepareCommand.class, EncodeCommand.class,
                DecodeCommand.class, BankCommand.class, EvaluateCommand.class, DemoCommand.class, LaunchCommand.class, RvqCommand.class})
public final class Main implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** libtorch's allocation failures (CPU or CUDA) and the JVM's own. */
    static boolean outOfMemory(Throwable ex) {
        return OutOfMemory.causedBy(ex);
    }

    /**
     * The one line an out-of-memory failure of {@code command} prints: what failed, and the setting of that command
     * that bounds the memory a batch takes.
     */
    static String outOfMemoryLine(String command, Throwable ex) {
        String lower = switch (command) {
            case "train" -> "lower ++trainer.data_loading_config.max_tokens (raise ++trainer.gradient_accumulation to keep"
                    + " the batch); a run resumes from its last checkpoint";
            case "generate" -> "lower --batch_size or --max_gen_len";
            case "predict" -> "lower --batch_size";
            case "evaluate" -> "lower --generator_batch_size (and --data_loading.batch_size) or max_gen_len in --task_args";
            case "prepare" -> "lower --token-budget or --max-batch-sentences";
            default -> "shorten the input or use a smaller model";
        };
        return "out of memory (" + OutOfMemory.firstLine(ex) + "): " + lower
                + "; or give the JVM more memory (LCM_JAVA_OPTS=-Xmx...) if the JVM ran out";
    }

    /**
     * Every command and subcommand answers {@code --help} (and {@code -h}) with its usage and exit code 0, even when it
     * has required options; the command list shows each command's first sentence, whole.
     */
    static void helpEverywhere(CommandLine cl) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            CommandLine.Model.CommandSpec spec = sub.getCommandSpec();
            if (!(sub.getCommand() instanceof CommandLine.HelpCommand)) {
                if (spec.optionsMap().get("--help") == null) spec.mixinStandardHelpOptions(true);
                if (spec.usageMessage().header().length == 0) spec.usageMessage().header(firstSentence(spec.usageMessage().description()));
            }
            helpEverywhere(sub);
        }
    }

    /** The first sentence of a multi-line description (up to the first ". " or ":" that ends a line of thought). */
    static String firstSentence(String[] description) {
        String all = String.join(" ", description).replaceAll("\\s+", " ").strip();
        int end = all.length();
        for (String stop : new String[] {". ", ": ", "; "}) {
            int i = all.indexOf(stop);
            if (i > 0 && i < end) end = i + 1;
        }
        String s = all.substring(0, end).strip();
        return s.endsWith(":") || s.endsWith(";") ? s.substring(0, s.length() - 1) + "." : s;
    }

    /** Runs a command and returns its exit code (used by tests without exiting the JVM). */
    public static int execute(String... args) {
        return execute(CommandLine.defaultFactory(), args);
    }

    /**
     * {@link #execute(String...)} with the commands made by {@code factory}: lets a test hand a command what it would
     * otherwise take from the process (e.g. the environment SLURM's client commands are looked up in).
     */
    static int execute(CommandLine.IFactory factory, String... args) {
        CommandLine cl = new CommandLine(new Main(), factory);
        cl.addSubcommand("help", new CommandLine.HelpCommand());
        helpEverywhere(cl);
        // everything after the worker command's name belongs to the workers
        cl.getSubcommands().get("launch").setStopAtPositional(true);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            Throwable t = ex;
            while (!(t instanceof LcmException) && t.getCause() != null && t.getCause() != t) t = t.getCause();
            if (t instanceof LcmException) {
                cmd.getErr().println("error: " + t.getMessage());
                return 2;
            }
            if (outOfMemory(ex)) {
                cmd.getErr().println("error: " + outOfMemoryLine(cmd.getCommandName(), ex));
                return 2;
            }
            if (ex instanceof UncheckedIOException || ex instanceof NoSuchFileException) {
                cmd.getErr().println("error: " + ex.getMessage());
                return 2;
            }
            ex.printStackTrace(cmd.getErr());
            return 1;
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("error: " + ex.getMessage() + " (see --help)");
            return 2;
        });
        return cl.execute(args);
    }
}
