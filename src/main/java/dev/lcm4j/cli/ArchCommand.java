package dev.lcm4j.cli;

import dev.lcm4j.models.ModelFamilies;
import dev.lcm4j.torch.TorchRuntime;
import picocli.CommandLine.Command;

/** {@code ./lcm arch list}: every registered arch with its family and exact parameter count. */
@Command(name = "arch", description = "Registered model archs.", subcommands = {ArchCommand.ListArchs.class})
final class ArchCommand implements Runnable {
    @Override
    public void run() {
        new ListArchs().run();
    }

    @Command(name = "list", description = "Prints every registered arch: name, model family, exact parameter count.")
    static final class ListArchs implements Runnable {
        @Override
        public void run() {
            TorchRuntime.init();
            System.out.printf("%-36s %-28s %16s%n", "arch", "family", "parameters");
            for (ModelFamilies.Arch a : ModelFamilies.archs().values()) {
                long n = ModelFamilies.parameterCount(a.config().get()); // on the meta device: nothing allocated
                System.out.printf("%-36s %-28s %,16d%n", a.name(), a.family(), n);
            }
        }
    }
}
