package org.fusekicdc.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.junit.jupiter.api.Test;

/**
 * The module jar holds exactly what the reactor modules compiled, so that tests and the quick start
 * never run classes left over from an earlier build: each of our files in the jar has the content of
 * the same file in a module's {@code target/classes} (a class using a relocated library, the
 * same constants but for the relocation), each file there is in the jar, and the merged
 * {@code META-INF/services} files register exactly the modules' providers. The modules are those the
 * dist pom lists in {@code fusekicdc.moduleClasses}. An integration test because the jar exists only
 * after {@code package}; it needs no server or broker.
 */
class ModuleJarContentIT {
    private static final String SERVICES = "META-INF/services/";
    private static final String OURS = "org/fusekicdc/";
    private static final String RELOCATED = "org/fusekicdc/shaded/";

    @Test
    void theJarHoldsExactlyTheModulesCompiledFiles() throws IOException {
        Map<String, Path> compiled = compiledFiles();
        List<String> differing = new ArrayList<>();
        List<String> notCompiled = new ArrayList<>();
        try (ZipFile jar = new ZipFile(FusekiJvm.moduleJar().toFile())) {
            for (ZipEntry entry : jar.stream().filter(e -> !e.isDirectory()).toList()) {
                String name = entry.getName();
                Path file = compiled.remove(name);
                if ( file != null ) {
                    if ( !sameOrRelocated(name, bytes(jar, entry), Files.readAllBytes(file)) )
                        differing.add(name + " (compiled: " + file + ")");
                } else if ( name.startsWith(OURS) && !name.startsWith(RELOCATED) ) {
                    notCompiled.add(name);
                }
            }
        }
        String rebuild = " Rebuild with ./mvnw -B -DskipTests -pl dist -am package (the modules with the jar).";
        assertTrue(differing.isEmpty(), "the module jar differs from the modules' compiled files in " + differing + "." + rebuild);
        assertTrue(notCompiled.isEmpty(), "the module jar holds files no module in fusekicdc.moduleClasses compiled: " + notCompiled
                                          + ". Left over from an earlier build, or a module missing from that list in dist/pom.xml.");
        assertTrue(compiled.isEmpty(), "compiled files missing from the module jar: " + compiled.keySet() + "." + rebuild);
    }

    @Test
    void theJarRegistersExactlyTheModulesProviders() throws IOException {
        Map<String, Set<String>> registered = new TreeMap<>();
        for (Path classes : moduleClasses()) {
            Path services = classes.resolve(SERVICES);
            if ( !Files.isDirectory(services) )
                continue;
            try (Stream<Path> files = Files.list(services)) {
                for (Path file : files.toList())
                    registered.computeIfAbsent(file.getFileName().toString(), k -> new TreeSet<>())
                              .addAll(providers(Files.readString(file)));
            }
        }
        Map<String, Set<String>> inJar = new TreeMap<>();
        try (ZipFile jar = new ZipFile(FusekiJvm.moduleJar().toFile())) {
            for (ZipEntry entry : jar.stream().filter(e -> !e.isDirectory() && e.getName().startsWith(SERVICES)).toList()) {
                Set<String> ours = new TreeSet<>(providers(new String(bytes(jar, entry), StandardCharsets.UTF_8)));
                ours.removeIf(p -> !p.startsWith("org.fusekicdc.") || p.startsWith("org.fusekicdc.shaded."));
                if ( !ours.isEmpty() )
                    inJar.put(entry.getName().substring(SERVICES.length()), ours);
            }
        }
        assertEquals(registered, inJar, "the module jar's META-INF/services must register exactly the modules' providers (service -> classes)");
    }

    /** Every file under the modules' class directories except service files, by its name in a jar. */
    private static Map<String, Path> compiledFiles() throws IOException {
        Map<String, Path> files = new TreeMap<>();
        for (Path classes : moduleClasses()) {
            try (Stream<Path> walk = Files.walk(classes)) {
                for (Path file : walk.filter(Files::isRegularFile).toList()) {
                    String name = classes.relativize(file).toString().replace(java.io.File.separatorChar, '/');
                    if ( name.startsWith(SERVICES) )
                        continue;
                    Path other = files.put(name, file);
                    assertTrue(other == null, name + " is compiled by two modules (" + other + ", " + file + "): the jar can hold one of them");
                }
            }
        }
        return files;
    }

    private static List<Path> moduleClasses() {
        String property = System.getProperty("fusekicdc.moduleClasses");
        assertTrue(property != null && !property.isBlank(), "fusekicdc.moduleClasses is not set: run this test through the dist pom (./mvnw -pl dist verify)");
        List<Path> dirs = Stream.of(property.split(",")).map(String::strip).map(d -> Path.of(d).normalize()).toList();
        for (Path dir : dirs)
            assertTrue(Files.isDirectory(dir), "module classes directory " + dir + " does not exist: build the modules with the jar (-pl dist -am)");
        return dirs;
    }

    /**
     * The same bytes; or, for a class of ours that uses a relocated library (the shading rewrites it), the same
     * constants but for the relocation, less names of classes the compiler kept but nothing refers to (those of
     * inlined constants), which the rewrite drops.
     */
    private static boolean sameOrRelocated(String name, byte[] inJar, byte[] compiled) throws IOException {
        if ( Arrays.equals(inJar, compiled) )
            return true;
        if ( !name.endsWith(".class") || !new String(inJar, StandardCharsets.ISO_8859_1).contains(RELOCATED) )
            return false;
        String relocated = RELOCATED.replace('/', '.');
        Set<String> shaded = ClassConstants.of(inJar, relocated);
        Set<String> dropped = new TreeSet<>(ClassConstants.of(compiled, relocated));
        if ( !dropped.containsAll(shaded) )
            return false;
        dropped.removeAll(shaded);
        return dropped.stream().allMatch(c -> c.matches("[\\w$]+(/[\\w$]+)+"));
    }

    private static List<String> providers(String serviceFile) {
        return serviceFile.lines().map(line -> line.replaceFirst("#.*", "").strip()).filter(line -> !line.isEmpty()).toList();
    }

    private static byte[] bytes(ZipFile jar, ZipEntry entry) throws IOException {
        try (InputStream in = jar.getInputStream(entry)) {
            return in.readAllBytes();
        }
    }
}
