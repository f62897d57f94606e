package dev.lcm4j.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lcm4j.LcmException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The launcher contracts: torchrun's variables, SLURM's (as submitit maps them) and the errors of a bad environment. */
class DistributedEnvironmentTest {
    @Test
    void noVariablesIsOneProcess() {
        DistributedEnvironment e = DistributedEnvironment.from(Map.of("PATH", "/bin"));
        assertEquals(DistributedEnvironment.single(), e);
        assertTrue(!e.distributed() && e.isMain());
    }

    @Test
    void torchrunVariables() {
        DistributedEnvironment e = DistributedEnvironment.from(Map.of("RANK", "3", "WORLD_SIZE", "4", "LOCAL_RANK", "1",
                "LOCAL_WORLD_SIZE", "2", "MASTER_ADDR", "node7", "MASTER_PORT", "29500", "TORCHELASTIC_RESTART_COUNT", "2"));
        assertEquals(new DistributedEnvironment(3, 4, 1, 2, "node7", 29500, 2, "torchrun"), e);
        // LOCAL_* default to the global values (one node), a world of one needs no rendezvous
        assertEquals(new DistributedEnvironment(1, 2, 1, 2, "h", 1234, 0, "torchrun"),
                DistributedEnvironment.from(Map.of("RANK", "1", "WORLD_SIZE", "2", "MASTER_ADDR", "h", "MASTER_PORT", "1234")));
        assertTrue(!DistributedEnvironment.from(Map.of("RANK", "0", "WORLD_SIZE", "1")).distributed());
    }

    @Test
    void slurmVariablesInsideAnSrunStep() {
        Map<String, String> env = Map.of("SLURM_PROCID", "5", "SLURM_NTASKS", "8", "SLURM_LOCALID", "1", "SLURM_STEP_ID", "0",
                "SLURM_NTASKS_PER_NODE", "4(x2)", "SLURM_JOB_NODELIST", "gpu-[007-008]", "SLURM_JOB_ID", "123456");
        DistributedEnvironment e = DistributedEnvironment.from(env);
        assertEquals(new DistributedEnvironment(5, 8, 1, 4, "gpu-007", 20_000 + 123456 % 20_000, 0, "slurm"), e);
        // the batch script itself (no step id) is not a worker
        assertEquals(DistributedEnvironment.single(), DistributedEnvironment.from(Map.of("SLURM_PROCID", "0", "SLURM_NTASKS", "8",
                "SLURM_JOB_NODELIST", "n1")));
    }

    @Test
    void firstHostOfASlurmNodeList() {
        assertEquals("n1", DistributedEnvironment.firstHost("n1"));
        assertEquals("n1", DistributedEnvironment.firstHost("n1,n2"));
        assertEquals("node3", DistributedEnvironment.firstHost("node[3-5,9]"));
        assertEquals("gpu-007", DistributedEnvironment.firstHost("gpu-[007-010],cpu1"));
        assertEquals("a2b", DistributedEnvironment.firstHost("a[2,4]b"));
    }

    @Test
    void badEnvironmentsAreOneLine() {
        LcmException e = assertThrows(LcmException.class, () -> DistributedEnvironment.from(Map.of("RANK", "0", "WORLD_SIZE", "2")));
        assertTrue(e.getMessage().startsWith("WORLD_SIZE=2 needs MASTER_ADDR"), e.getMessage());
        e = assertThrows(LcmException.class, () -> DistributedEnvironment.from(Map.of("RANK", "2", "WORLD_SIZE", "2",
                "MASTER_ADDR", "h", "MASTER_PORT", "1")));
        assertTrue(e.getMessage().startsWith("RANK=2 must be smaller than WORLD_SIZE=2"), e.getMessage());
        e = assertThrows(LcmException.class, () -> DistributedEnvironment.from(Map.of("RANK", "0", "WORLD_SIZE", "2",
                "MASTER_ADDR", "h", "MASTER_PORT", "70000")));
        assertTrue(e.getMessage().contains("70000 is not a port number"), e.getMessage());
        e = assertThrows(LcmException.class, () -> DistributedEnvironment.from(Map.of("RANK", "0", "WORLD_SIZE", "two")));
        assertTrue(e.getMessage().startsWith("WORLD_SIZE='two' is not an integer"), e.getMessage());
        e = assertThrows(LcmException.class, () -> DistributedEnvironment.from(Map.of("RANK", "1")));
        assertTrue(e.getMessage().contains("WORLD_SIZE is not"), e.getMessage());
    }
}
