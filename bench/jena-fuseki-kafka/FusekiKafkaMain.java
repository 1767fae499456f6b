import org.apache.jena.fuseki.kafka.FMod_FusekiKafka;
import org.apache.jena.fuseki.main.FusekiServer;
import org.apache.jena.fuseki.main.sys.FusekiModules;
import org.apache.jena.fuseki.system.FusekiLogging;

/**
 * Fuseki 5.3.0 from a configuration file, with jena-fuseki-kafka's module when asked: what its
 * README runs, except that the module is named here instead of found by the service loader
 * (Fuseki 5.3.0's FusekiMainCmd with --modules=true starts without it on this classpath).
 * Run as a source file on the classpath bench/jena-fuseki-kafka/pom.xml resolves:
 *   java -cp CLASSPATH FusekiKafkaMain.java PORT CONFIG connector|plain
 */
public class FusekiKafkaMain {
    public static void main(String... args) {
        // The benchmark holds stdin open; at its end, even a killed one, the server stops too.
        Thread stdin = new Thread(() -> {
            try {
                System.in.transferTo(java.io.OutputStream.nullOutputStream());
            } catch (java.io.IOException ex) {
                // the benchmark is gone either way
            }
            System.exit(0);
        }, "stdin-watch");
        stdin.setDaemon(true);
        stdin.start();
        FusekiLogging.setLogging();
        FusekiModules modules = args[2].equals("connector") ? FusekiModules.create(new FMod_FusekiKafka()) : FusekiModules.create();
        FusekiServer.create().port(Integer.parseInt(args[0])).parseConfigFile(args[1]).fusekiModules(modules).build().start().join();
    }
}
