package dev.lcm4j.text;

import dev.lcm4j.LcmException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The 202 FLORES-200 language codes of SONAR's text cards, in the cards' order. The order matters: the NLLB
 * tokenizer appends one {@code __code__} control token per language in this order, so a language's token id is
 * {@code spm_vocab_size + 1 + index} (eng_Latn, index 46, is 256047 with the real 256,000-piece model).
 */
public final class Languages {
    public static final String DEFAULT = "eng_Latn";

    public static final List<String> CODES = List.of(
            "ace_Arab",
            "ace_Latn",
            "acm_Arab",
            "acq_Arab",
            "aeb_Arab",
            "afr_Latn",
            "ajp_Arab",
            "aka_Latn",
            "amh_Ethi",
            "apc_Arab",
            "arb_Arab",
            "ars_Arab",
            "ary_Arab",
            "arz_Arab",
            "asm_Beng",
            "ast_Latn",
            "awa_Deva",
            "ayr_Latn",
            "azb_Arab",
            "azj_Latn",
            "bak_Cyrl",
            "bam_Latn",
            "ban_Latn",
            "bel_Cyrl",
            "bem_Latn",
            "ben_Beng",
            "bho_Deva",
            "bjn_Arab",
            "bjn_Latn",
            "bod_Tibt",
            "bos_Latn",
            "bug_Latn",
            "bul_Cyrl",
            "cat_Latn",
            "ceb_Latn",
            "ces_Latn",
            "cjk_Latn",
            "ckb_Arab",
            "crh_Latn",
            "cym_Latn",
            "dan_Latn",
            "deu_Latn",
            "dik_Latn",
            "dyu_Latn",
            "dzo_Tibt",
            "ell_Grek",
            "eng_Latn",
            "epo_Latn",
            "est_Latn",
            "eus_Latn",
            "ewe_Latn",
            "fao_Latn",
            "pes_Arab",
            "fij_Latn",
            "fin_Latn",
            "fon_Latn",
            "fra_Latn",
            "fur_Latn",
            "fuv_Latn",
            "gla_Latn",
            "gle_Latn",
            "glg_Latn",
            "grn_Latn",
            "guj_Gujr",
            "hat_Latn",
            "hau_Latn",
            "heb_Hebr",
            "hin_Deva",
            "hne_Deva",
            "hrv_Latn",
            "hun_Latn",
            "hye_Armn",
            "ibo_Latn",
            "ilo_Latn",
            "ind_Latn",
            "isl_Latn",
            "ita_Latn",
            "jav_Latn",
            "jpn_Jpan",
            "kab_Latn",
            "kac_Latn",
            "kam_Latn",
            "kan_Knda",
            "kas_Arab",
            "kas_Deva",
            "kat_Geor",
            "knc_Arab",
            "knc_Latn",
            "kaz_Cyrl",
            "kbp_Latn",
            "kea_Latn",
            "khm_Khmr",
            "kik_Latn",
            "kin_Latn",
            "kir_Cyrl",
            "kmb_Latn",
            "kon_Latn",
            "kor_Hang",
            "kmr_Latn",
            "lao_Laoo",
            "lvs_Latn",
            "lij_Latn",
            "lim_Latn",
            "lin_Latn",
            "lit_Latn",
            "lmo_Latn",
            "ltg_Latn",
            "ltz_Latn",
            "lua_Latn",
            "lug_Latn",
            "luo_Latn",
            "lus_Latn",
            "mag_Deva",
            "mai_Deva",
            "mal_Mlym",
            "mar_Deva",
            "min_Latn",
            "mkd_Cyrl",
            "plt_Latn",
            "mlt_Latn",
            "mni_Beng",
            "khk_Cyrl",
            "mos_Latn",
            "mri_Latn",
            "zsm_Latn",
            "mya_Mymr",
            "nld_Latn",
            "nno_Latn",
            "nob_Latn",
            "npi_Deva",
            "nso_Latn",
            "nus_Latn",
            "nya_Latn",
            "oci_Latn",
            "gaz_Latn",
            "ory_Orya",
            "pag_Latn",
            "pan_Guru",
            "pap_Latn",
            "pol_Latn",
            "por_Latn",
            "prs_Arab",
            "pbt_Arab",
            "quy_Latn",
            "ron_Latn",
            "run_Latn",
            "rus_Cyrl",
            "sag_Latn",
            "san_Deva",
            "sat_Beng",
            "scn_Latn",
            "shn_Mymr",
            "sin_Sinh",
            "slk_Latn",
            "slv_Latn",
            "smo_Latn",
            "sna_Latn",
            "snd_Arab",
            "som_Latn",
            "sot_Latn",
            "spa_Latn",
            "als_Latn",
            "srd_Latn",
            "srp_Cyrl",
            "ssw_Latn",
            "sun_Latn",
            "swe_Latn",
            "swh_Latn",
            "szl_Latn",
            "tam_Taml",
            "tat_Cyrl",
            "tel_Telu",
            "tgk_Cyrl",
            "tgl_Latn",
            "tha_Thai",
            "tir_Ethi",
            "taq_Latn",
            "taq_Tfng",
            "tpi_Latn",
            "tsn_Latn",
            "tso_Latn",
            "tuk_Latn",
            "tum_Latn",
            "tur_Latn",
            "twi_Latn",
            "tzm_Tfng",
            "uig_Arab",
            "ukr_Cyrl",
            "umb_Latn",
            "urd_Arab",
            "uzn_Latn",
            "vec_Latn",
            "vie_Latn",
            "war_Latn",
            "wol_Latn",
            "xho_Latn",
            "ydd_Hebr",
            "yor_Latn",
            "yue_Hant",
            "zho_Hans",
            "zho_Hant",
            "zul_Latn"
    );

    private static final Map<String, Integer> INDEX = IntStream.range(0, CODES.size()).boxed()
            .collect(Collectors.toUnmodifiableMap(CODES::get, Function.identity()));

    private Languages() {
    }

    /** Position of {@code code} in {@link #CODES}; an unknown code is a clear error naming close matches. */
    public static int index(String code) {
        Integer i = code == null ? null : INDEX.get(code);
        if (i == null) throw unknown(code);
        return i;
    }

    public static boolean isKnown(String code) {
        return code != null && INDEX.containsKey(code);
    }

    /** Throws unless {@code code} is one of the 202 codes; returns it for chaining. */
    public static String check(String code) {
        index(code);
        return code;
    }

    /** The ISO 639-3 part of a code ({@code deu_Latn} gives {@code deu}). */
    public static String iso3(String code) {
        return check(code).substring(0, 3);
    }

    private static LcmException unknown(String code) {
        String prefix = code == null || code.length() < 2 ? "" : code.substring(0, 2).toLowerCase();
        List<String> near = CODES.stream().filter(c -> c.startsWith(prefix)).limit(8).toList();
        return new LcmException("unknown language code '" + code + "': use a FLORES-200 code such as eng_Latn, fra_Latn, deu_Latn, zho_Hans"
                + (near.isEmpty() || prefix.isEmpty() ? "" : " (codes starting with '" + prefix + "': " + String.join(", ", near) + ")"));
    }
}
