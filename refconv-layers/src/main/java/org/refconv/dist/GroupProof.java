package org.refconv.dist;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.Tensors;

/**
 * Proves, over the formed group itself, that every member holds the attempt's token: each rank contributes
 * HMAC(token, rank, world) to an all-gather and checks every other rank's. Gloo's own rendezvous trusts whatever
 * addresses the store holds, so a process that wrote its address there in a rank's place joins the group; it cannot
 * produce that rank's MAC, and every honest rank then refuses the group before training on it.
 */
final class GroupProof {

    private GroupProof() {}

    /** What {@code rank} of {@code world} contributes. */
    static byte[] of(GroupToken token, int rank, int world) {
        return token.mac(
                "group member",
                ByteBuffer.allocate(8).putInt(rank).putInt(world).array());
    }

    /**
     * Runs the all-gather (one all-reduce: each rank fills its own slot with its MAC's bytes, the others are zero) and
     * checks every slot.
     *
     * @throws GroupAuthenticationException naming the ranks whose proof did not verify
     */
    static void check(Collectives group, GroupToken token) {
        int world = group.worldSize();
        int width = SignedStore.MAC_BYTES;
        long[] slots = new long[world * width];
        byte[] mine = of(token, group.rank(), world);
        for (int i = 0; i < width; i++) {
            slots[group.rank() * width + i] = mine[i] & 0xff;
        }
        Tensor t = group.onDevice(Tensors.fromLongs(slots, slots.length));
        group.allReduceSum(List.of(t));
        long[] gathered = Tensors.toLongs(t);
        List<Integer> unproven = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            byte[] theirs = new byte[width];
            boolean inRange = true;
            for (int i = 0; i < width; i++) {
                long v = gathered[r * width + i];
                inRange &= v >= 0 && v <= 0xff;
                theirs[i] = (byte) v;
            }
            if (!inRange || !GroupToken.same(theirs, of(token, r, world))) {
                unproven.add(r);
            }
        }
        if (!unproven.isEmpty()) {
            throw new GroupAuthenticationException("rank " + group.rank() + " of " + world + ": rank(s) " + unproven
                    + " did not prove this attempt's token: a process without it joined the group (an address"
                    + " written into the store in a rank's place?); the attempt is refused");
        }
    }
}
