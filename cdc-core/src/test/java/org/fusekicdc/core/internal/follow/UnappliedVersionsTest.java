package org.fusekicdc.core.internal.follow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** A follower's lag in time: the age of the oldest version read and not applied. */
class UnappliedVersionsTest {
    @Test
    void theLagIsTheAgeOfTheOldestVersionNotAppliedAndZeroOnceAllAre() {
        UnappliedVersions unapplied = new UnappliedVersions();
        assertEquals(0, unapplied.lagMillis(0, 10_000), "nothing read");
        unapplied.seen(1, 1_000);
        unapplied.seen(2, 4_000);
        assertEquals(9_000, unapplied.lagMillis(0, 10_000), "version 1, committed by the leader 9 s ago, is the oldest not applied");
        assertEquals(11_000, unapplied.lagMillis(0, 12_000), "and it grows while version 1 waits");
        assertEquals(8_000, unapplied.lagMillis(1, 12_000), "version 1 applied: version 2 is the oldest");
        unapplied.appliedUpTo(2);
        assertEquals(0, unapplied.lagMillis(2, 12_000), "caught up");
        unapplied.seen(2, 4_000);
        assertEquals(0, unapplied.lagMillis(2, 12_000), "a version read again after it was applied is no lag");
    }

    @Test
    void aLeaderClockAheadOfThisServersGivesNoNegativeLag() {
        UnappliedVersions unapplied = new UnappliedVersions();
        unapplied.seen(1, 20_000);
        assertEquals(0, unapplied.lagMillis(0, 10_000));
    }
}
