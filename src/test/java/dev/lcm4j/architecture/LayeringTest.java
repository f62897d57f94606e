package dev.lcm4j.architecture;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.lang.syntax.ArchRuleDefinition;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import dev.lcm4j.architecture.violations.nn.LayerViolation;
import dev.lcm4j.architecture.violations.models.crossfamily.FamilyViolation;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The package layers of docs/ARCHITECTURE.md, enforced on the main classes: a package may use the layers below it,
 * never one above; the application layers {@code train}, {@code inference} and {@code prepare} do not use each
 * other; model families are reached only through the registry. Each rule is also run on a deliberately broken class
 * to show that it fails.
 */
@Tag("slow")
class LayeringTest {
    static final String ROOT = "dev.lcm4j";
    /** Packages below {@code models} that hold no model family (shared by the families). */
    static final Set<String> SHARED_MODEL_PACKAGES = Set.of("normalizer", "diffusion", "quant");

    static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(ROOT);

    /** Bottom to top; see docs/ARCHITECTURE.md. */
    static LayeredArchitecture layers(String root) {
        return layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("base").definedBy(root, root + ".io..", root + ".torch..")
                .layer("foundation").definedBy(root + ".config..", root + ".cards..", root + ".text..", root + ".dist..")
                .layer("nn").definedBy(root + ".nn..")
                .layer("models").definedBy(root + ".models..")
                .layer("data").definedBy(root + ".data..")
                .layer("concepts").definedBy(root + ".concepts..")
                .layer("train").definedBy(root + ".train..")
                .layer("inference").definedBy(root + ".inference..")
                .layer("prepare").definedBy(root + ".prepare..")
                .layer("launch").definedBy(root + ".launch..")
                .layer("eval").definedBy(root + ".eval..")
                .layer("cli").definedBy(root + ".cli..")
                .whereLayer("cli").mayNotBeAccessedByAnyLayer()
                .whereLayer("eval").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("train").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("inference").mayOnlyBeAccessedByLayers("eval", "cli")
                .whereLayer("prepare").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("launch").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("concepts").mayOnlyBeAccessedByLayers("train", "inference", "prepare", "launch", "eval", "cli")
                .whereLayer("data").mayOnlyBeAccessedByLayers("concepts", "train", "inference", "prepare", "launch", "eval", "cli")
                .whereLayer("models").mayOnlyBeAccessedByLayers("data", "concepts", "train", "inference", "prepare", "launch", "eval", "cli")
                .whereLayer("nn").mayOnlyBeAccessedByLayers("models", "data", "concepts", "train", "inference", "prepare", "launch", "eval", "cli")
                .whereLayer("foundation").mayOnlyBeAccessedByLayers("foundation", "nn", "models", "data", "concepts", "train",
                        "inference", "prepare", "launch", "eval", "cli");
    }

    /** The foundation packages are independent of each other but for io/torch (below them). */
    static ArchRule foundationPackagesAreIndependent(String root) {
        return slices().matching(root + ".(config|cards|text|dist)..").should().notDependOnEachOther();
    }

    /** Classes of a family package are used only by that package and by the registry. */
    static ArchRule familiesAreReachedThroughTheRegistry(String root) {
        DescribedPredicate<JavaClass> inFamily = new DescribedPredicate<>("in a model family package") {
            @Override
            public boolean test(JavaClass c) {
                return familyOf(root, c) != null;
            }
        };
        ArchCondition<JavaClass> onlyOwnFamilyOrRegistry = new ArchCondition<>("be used only by their own family and the registry") {
            @Override
            public void check(JavaClass target, ConditionEvents events) {
                String family = familyOf(root, target);
                for (Dependency d : target.getDirectDependenciesToSelf()) {
                    JavaClass origin = d.getOriginClass();
                    if (!origin.getPackageName().startsWith(root)) continue;
                    boolean registry = origin.getName().equals(root + ".models.ModelFamilies");
                    if (!registry && !family.equals(familyOf(root, origin))) {
                        events.add(SimpleConditionEvent.violated(d, d.getDescription() + " reaches into model family " + family
                                + " outside the registry (" + root + ".models.ModelFamilies)"));
                    }
                }
            }
        };
        return ArchRuleDefinition.classes().that(inFamily).should(onlyOwnFamilyOrRegistry).allowEmptyShould(true);
    }

    /** "baselcm" for {@code root.models.baselcm.X}, null outside family packages. */
    static String familyOf(String root, JavaClass c) {
        String prefix = root + ".models.";
        String p = c.getPackageName();
        if (!p.startsWith(prefix)) return null;
        String first = p.substring(prefix.length()).split("\\.")[0];
        return SHARED_MODEL_PACKAGES.contains(first) ? null : first;
    }

    @Test
    void packagesImportOnlyDownward() {
        layers(ROOT).check(MAIN);
    }

    @Test
    void foundationPackagesDoNotUseEachOther() {
        foundationPackagesAreIndependent(ROOT).check(MAIN);
    }

    @Test
    void onlyTheRegistryKnowsTheFamilies() {
        familiesAreReachedThroughTheRegistry(ROOT).check(MAIN);
    }

    @Test
    void theRulesCatchViolations() {
        // test-only classes under dev.lcm4j.architecture.violations break each rule once
        String root = "dev.lcm4j.architecture.violations";
        JavaClasses broken = new ClassFileImporter().importPackages(root);
        assertTrue(broken.contain(LayerViolation.class) && broken.contain(FamilyViolation.class));
        EvaluationResult layering = layers(root).evaluate(broken);
        assertTrue(layering.hasViolation(), "nn importing cli must be reported");
        assertTrue(layering.getFailureReport().toString().contains("LayerViolation"), layering.getFailureReport().toString());
        EvaluationResult families = familiesAreReachedThroughTheRegistry(root).evaluate(broken);
        assertTrue(families.hasViolation(), "a class outside a family using its classes must be reported");
        assertTrue(families.getFailureReport().toString().contains("FamilyViolation"), families.getFailureReport().toString());
        assertFalse(layers(ROOT).evaluate(MAIN).hasViolation());
    }
}
