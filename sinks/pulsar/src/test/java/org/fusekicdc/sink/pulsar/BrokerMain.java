package org.fusekicdc.sink.pulsar;

import org.apache.pulsar.PulsarStandaloneStarter;
import org.fusekicdc.core.testing.ChildJvm;

/** The child JVM of {@link PulsarTesting.PrivateBroker}: Pulsar's standalone broker, halted when the test JVM goes away. */
public final class BrokerMain {
    private BrokerMain() {}

    public static void main(String[] args) throws Exception {
        ChildJvm.haltWhenParentExits();
        PulsarStandaloneStarter.main(args);
    }
}
