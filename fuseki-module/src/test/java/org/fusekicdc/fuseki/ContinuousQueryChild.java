package org.fusekicdc.fuseki;

import org.apache.jena.fuseki.main.FusekiServer;
import org.fusekicdc.core.testing.ChildJvm;

/**
 * Child JVM of {@link ContinuousQueryKillIT}: a real Fuseki started from a configuration file,
 * as an admin starts it; prints {@code PORT n} once serving. The test kills it with SIGKILL.
 */
public final class ContinuousQueryChild {
    private ContinuousQueryChild() {}

    public static void main(String[] args) {
        ChildJvm.haltWhenParentExits();
        FusekiServer server = FusekiServer.create().port(0).loopback(true).parseConfigFile(args[0]).build().start();
        System.out.println("PORT " + server.getHttpPort());
        System.out.flush();
        server.join();
    }
}
