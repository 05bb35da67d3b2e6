package org.refconv.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ranks find out from their gathered "jvm rest" messages whether any two of them share a JVM. */
class RankTaskTest {

    @Test
    void ranksInOneJvmShareIt() {
        assertTrue(RankTask.ranksShareAJvm(new String[] {"4242@127.0.0.1 127.0.0.1:5000", "4242@127.0.0.1 -"}));
        assertTrue(RankTask.ranksShareAJvm(new String[] {"7@a a:1", "8@b -", "7@a -"}));
    }

    @Test
    void ranksInSeparateJvmsDoNot() {
        // Two executors on one host differ by process id; the same process id on two hosts is two JVMs.
        assertFalse(RankTask.ranksShareAJvm(new String[] {"4242@127.0.0.1 127.0.0.1:5000", "4243@127.0.0.1 -"}));
        assertFalse(RankTask.ranksShareAJvm(new String[] {"7@a a:1", "7@b -"}));
    }
}
