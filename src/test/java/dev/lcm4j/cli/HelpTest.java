package dev.lcm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.testing.Cli;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command and subcommand prints its usage with --help and exits 0; so does {@code ./lcm help COMMAND}. */
class HelpTest {
    /** The command tree, as the paths a user types (e.g. ["arch", "list"]). */
    static List<List<String>> commands() {
        CommandLine root = new CommandLine(new Main());
        root.addSubcommand("help", new CommandLine.HelpCommand());
        List<List<String>> out = new ArrayList<>();
        walk(root, new ArrayList<>(), out);
        return out;
    }

    private static void walk(CommandLine cl, List<String> path, List<List<String>> out) {
        for (Map.Entry<String, CommandLine> e : cl.getSubcommands().entrySet()) {
            if (e.getValue().getCommand() instanceof CommandLine.HelpCommand) continue;
            List<String> p = new ArrayList<>(path);
            p.add(e.getKey());
            out.add(p);
            walk(e.getValue(), p, out);
        }
    }

    @Test
    void everyCommandAnswersHelp() {
        List<List<String>> all = commands();
        assertTrue(all.size() >= 17, "the tree has the commands and subcommands: " + all);
        assertTrue(all.contains(List.of("arch", "list")) && all.contains(List.of("data", "synth")) && all.contains(List.of("launch")));
        for (List<String> c : all) {
            for (String flag : List.of("--help", "-h")) {
                List<String> args = new ArrayList<>(c);
                args.add(flag);
                Cli.Outcome o = Cli.exec(args);
                assertEquals(0, o.code(), c + " " + flag + ": " + o.err());
                assertTrue(o.out().contains("Usage: lcm " + String.join(" ", c)), c + " " + flag + " prints no usage: " + o.out());
                assertFalse(o.err().contains("error"), c + ": " + o.err());
            }
            if (c.size() == 1) {
                Cli.Outcome o = Cli.exec("help", c.get(0));
                assertEquals(0, o.code(), "help " + c + ": " + o.err());
                assertTrue(o.out().contains("Usage: lcm " + c.get(0)), o.out());
            }
        }
    }

    @Test
    void theCommandListShowsWholeSentences() {
        Cli.Outcome o = Cli.exec("--help");
        assertEquals(0, o.code());
        String list = o.out().substring(o.out().indexOf("Commands:"));
        // each entry ends a sentence: no summary stops mid-phrase as multi-line descriptions used to
        for (String entry : list.split("\\n(?=  \\S)")) {
            if (entry.startsWith("Commands:")) continue;
            String text = entry.strip().replaceAll("\\s+", " ");
            assertTrue(text.endsWith("."), "cut summary: '" + text + "'");
        }
    }

    @Test
    void firstSentence() {
        assertEquals("Runs a thing.", Main.firstSentence(new String[] {"Runs a thing. Then", "more."}));
        assertEquals("Trains from a recipe.", Main.firstSentence(new String[] {"Trains from a recipe:", "  ./lcm train ..."}));
        assertEquals("No stop at all", Main.firstSentence(new String[] {"No stop", "at all"}));
    }
}
