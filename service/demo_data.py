"""Reference data of the demo: PPRs, categories with SLA targets, and what residents and staff write.

Texts mix Bahasa Malaysia (most) and English, as residents of a PPR do. Each category has a few
scenarios: one kind of problem, the places it happens, and titles, descriptions and fix notes that
all describe that same problem, so a generated case reads as one story.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.case import Channel, Party
from domain.ppr import SlaTargets

#: A scenario place meaning "a resident's unit" rather than a common area.
UNIT = "unit"


@dataclass(frozen=True)
class PprSpec:
    """A demo PPR scheme and the people who work in it."""

    code: str
    name: str
    city: str
    blocks: tuple[int, ...]  # floors of blocks A, B, C, ...
    dispute_window_days: int
    committee_name: str
    management_name: str
    resident_name: str
    units_per_floor: int


PPRS: tuple[PprSpec, ...] = (
    PprSpec(
        code="SRP",
        name="PPR Seri Pantai",
        city="Kuala Lumpur",
        blocks=(17, 17, 21, 21, 18),
        dispute_window_days=14,
        committee_name="Rosnah binti Ahmad (Pengerusi JK PPR Seri Pantai)",
        management_name="Pegawai Pengurusan PPR Seri Pantai (Jabatan Perumahan DBKL)",
        resident_name="Nur Aisyah binti Kamaruddin",
        units_per_floor=16,
    ),
    PprSpec(
        code="LSB",
        name="PPR Lembah Subang 2",
        city="Petaling Jaya, Selangor",
        blocks=(15, 15, 18, 18, 22, 22),
        dispute_window_days=10,
        committee_name="Mohd Faizal bin Hassan (Setiausaha JK PPR Lembah Subang 2)",
        management_name="Pejabat Pengurusan PPR Lembah Subang 2",
        resident_name="Kavitha a/p Raman",
        units_per_floor=20,
    ),
)


@dataclass(frozen=True)
class Scenario:
    """One kind of problem in a category, told consistently from report to fix."""

    places: tuple[str, ...]  # common areas ("{floor}", "{lift}" are filled in) or UNIT
    titles_ms: tuple[str, ...]
    titles_en: tuple[str, ...]
    descriptions_ms: tuple[str, ...]
    descriptions_en: tuple[str, ...]
    fixes: tuple[str, ...]


@dataclass(frozen=True)
class CategorySpec:
    """A case category: names, SLA targets, and how its cases typically unfold."""

    code: str
    name_ms: str
    name_en: str
    sla: SlaTargets
    weight: float  # share of reports
    ack_hours: float  # median time to acknowledge
    fix_days: float  # median time from report to a claimed fix
    urgent: bool  # a duty officer answers outside office hours
    supports: float  # mean "me too" count
    private: float  # probability a report is private
    anonymous: float  # probability a resident reports anonymously
    assignees: tuple[tuple[Party, str], ...]  # who does the work: contractors, committee bureaus
    work_ms: str
    work_en: str
    scenarios: tuple[Scenario, ...]


# Lifts and water have the tightest targets: without them elderly and disabled residents on upper
# floors are cut off (DESIGN §1), so a duty officer acknowledges them at any hour. Security cases
# are often private and anonymous: residents fear retaliation from the people they report.
CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        code="LIF",
        name_ms="Lif",
        name_en="Lift",
        sla=SlaTargets(acknowledge_hours=4, first_response_hours=12, resolve_hours=72),
        weight=14,
        ack_hours=2,
        fix_days=3,
        urgent=True,
        supports=4.0,
        private=0.0,
        anonymous=0.05,
        assignees=(
            (Party.CONTRACTOR, "Syarikat Lif Jaya Sdn Bhd"),
            (Party.CONTRACTOR, "Teknik Lif Bersatu Sdn Bhd"),
        ),
        work_ms="membaiki lif",
        work_en="repair the lift",
        scenarios=(
            Scenario(
                places=("lif {lift}", "lobi lif tingkat G"),
                titles_ms=(
                    "Lif Blok {block} rosak sejak pagi",
                    "Lif {lift} Blok {block} rosak lagi minggu ini",
                    "Kedua-dua lif Blok {block} tidak berfungsi",
                ),
                titles_en=(
                    "Lift in Block {block} not working again",
                    "Both lifts down in Block {block}",
                ),
                descriptions_ms=(
                    "Lif {lift} di Blok {block} tidak boleh digunakan sejak pagi tadi. Warga emas "
                    "dan ibu dengan anak kecil terpaksa naik tangga.",
                    "Lif selalu rosak pada hujung minggu. Penghuni tingkat atas yang sakit tidak "
                    "dapat turun untuk ke klinik.",
                ),
                descriptions_en=(
                    "Lift {lift} in Block {block} has been out of service since this morning. "
                    "Elderly residents on the upper floors cannot go down.",
                    "Both lifts in Block {block} are down. My mother uses a wheelchair and cannot "
                    "leave the unit.",
                ),
                fixes=(
                    "Motor pintu lif telah diganti oleh kontraktor. Lif beroperasi seperti biasa.",
                    "Papan litar kawalan lif diganti. Lif telah diuji dan selamat digunakan.",
                    "Control board replaced; the lift was tested on every floor.",
                ),
            ),
            Scenario(
                places=("lif {lift}",),
                titles_ms=(
                    "Lif {lift} Blok {block} tersangkut di tingkat {floor}",
                    "Lif Blok {block} berhenti antara tingkat, penghuni terperangkap",
                ),
                titles_en=(
                    "Block {block} lift {lift} stuck at floor {floor}",
                    "Residents trapped in Block {block} lift",
                ),
                descriptions_ms=(
                    "Semalam lif berhenti di antara tingkat {floor} dan tingkat di atasnya. Tiga "
                    "orang terperangkap hampir 30 minit sebelum bomba sampai.",
                    "Lif tersangkut di tingkat {floor} dengan pintu separuh terbuka. Nasib baik "
                    "tiada orang di dalam.",
                ),
                descriptions_en=(
                    "The lift stopped near floor {floor} and three people were trapped for 30 "
                    "minutes until the fire brigade came.",
                ),
                fixes=(
                    "Brek dan sensor aras lif diselaraskan semula oleh kontraktor; ujian keselamatan "
                    "lulus.",
                    "Levelling sensor replaced and the safety brake serviced.",
                ),
            ),
            Scenario(
                places=("lobi lif tingkat {floor}",),
                titles_ms=(
                    "Butang lif tingkat {floor} Blok {block} rosak",
                    "Pintu lif tingkat {floor} tidak tertutup rapat",
                ),
                titles_en=(
                    "Lift button on floor {floor} not working",
                    "Lift door on floor {floor} not closing properly",
                ),
                descriptions_ms=(
                    "Panel butang di tingkat {floor} tidak menyala, lif tidak berhenti di tingkat "
                    "ini. Penghuni terpaksa naik turun tangga satu tingkat.",
                    "Pintu lif terbuka dan tertutup berulang kali di tingkat ini. Mohon hantar "
                    "juruteknik segera.",
                ),
                descriptions_en=(
                    "The call button on floor {floor} is dead, so the lift never stops here.",
                    "The lift door on this floor keeps opening and closing; please send a "
                    "technician.",
                ),
                fixes=(
                    "Panel butang tingkat {floor} diganti.",
                    "Door sensor on floor {floor} replaced and the lift reset.",
                ),
            ),
        ),
    ),
    CategorySpec(
        code="AIR",
        name_ms="Bekalan air",
        name_en="Water supply",
        sla=SlaTargets(acknowledge_hours=4, first_response_hours=8, resolve_hours=48),
        weight=10,
        ack_hours=2,
        fix_days=1,
        urgent=True,
        supports=4.5,
        private=0.0,
        anonymous=0.05,
        assignees=((Party.CONTRACTOR, "Air Selangor"), (Party.CONTRACTOR, "Paip Cekap Enterprise")),
        work_ms="memulihkan bekalan air",
        work_en="restore the water supply",
        scenarios=(
            Scenario(
                places=("tangki air bumbung", UNIT),
                titles_ms=(
                    "Tiada bekalan air di Blok {block} sejak semalam",
                    "Gangguan bekalan air lagi di Blok {block}",
                ),
                titles_en=(
                    "Water cut again in Block {block}",
                    "No water in Block {block} since last night",
                ),
                descriptions_ms=(
                    "Bekalan air terputus sejak malam tadi tanpa sebarang notis. Penghuni "
                    "terpaksa angkut air dari paip di bawah blok.",
                    "Air hanya ada pukul 2 hingga 5 pagi. Sudah masuk minggu kedua keadaan begini.",
                ),
                descriptions_en=(
                    "Water supply has been cut since last night with no notice. We have to carry "
                    "buckets up from the ground floor.",
                ),
                fixes=(
                    "Injap utama diganti dan tangki dibersihkan. Bekalan air pulih.",
                    "Main valve replaced; supply restored to the whole block.",
                ),
            ),
            Scenario(
                places=("tangki air bumbung", UNIT),
                titles_ms=("Air tidak naik ke tingkat {floor} dan ke atas",),
                titles_en=("No water on floor {floor} and above",),
                descriptions_ms=(
                    "Tingkat {floor} ke atas langsung tiada air, tingkat bawah ada. Mungkin pam "
                    "tangki bumbung rosak lagi.",
                ),
                descriptions_en=(
                    "Floors {floor} and above have had no water for two days while the lower "
                    "floors are fine. Probably the rooftop pump again.",
                ),
                fixes=(
                    "Pam air di tangki bumbung telah dibaiki; bekalan air pulih ke semua tingkat.",
                    "Rooftop pump repaired; water pressure restored to the upper floors.",
                ),
            ),
            Scenario(
                places=(UNIT,),
                titles_ms=(
                    "Tekanan air sangat lemah di unit {unit}",
                    "Air keruh dan berbau di unit {unit}",
                ),
                titles_en=(
                    "Low water pressure in unit {unit}",
                    "Brown, smelly tap water in {unit}",
                ),
                descriptions_ms=(
                    "Air keluar warna coklat dan berbau. Tidak selamat untuk masak atau mandikan "
                    "anak.",
                    "Tekanan air terlalu lemah, mesin basuh tak boleh jalan dan tandas tak boleh "
                    "dipam.",
                ),
                descriptions_en=(
                    "Water pressure is so low the washing machine cannot run and the toilet "
                    "cannot flush.",
                    "The water comes out brown and smells; it is not safe for cooking.",
                ),
                fixes=(
                    "Paip masuk ke unit dibersihkan dan meter air diganti.",
                    "Supply pipe to the unit flushed and the water meter replaced.",
                ),
            ),
        ),
    ),
    CategorySpec(
        code="PAIP",
        name_ms="Paip bocor",
        name_en="Leaking pipe",
        sla=SlaTargets(acknowledge_hours=24, first_response_hours=48, resolve_hours=168),
        weight=12,
        ack_hours=10,
        fix_days=6,
        urgent=False,
        supports=1.5,
        private=0.0,
        anonymous=0.05,
        assignees=(
            (Party.CONTRACTOR, "Paip Cekap Enterprise"),
            (Party.CONTRACTOR, "Syarikat Bina Teguh Sdn Bhd"),
        ),
        work_ms="membaiki paip yang bocor",
        work_en="fix the leaking pipe",
        scenarios=(
            Scenario(
                places=(UNIT,),
                titles_ms=(
                    "Siling bilik air bocor dari unit atas",
                    "Air menitis dari siling unit {unit}",
                ),
                titles_en=("Water dripping from ceiling in unit {unit}",),
                descriptions_ms=(
                    "Air menitis dari siling bilik air sejak seminggu. Siling sudah berkulat dan "
                    "kami risau ia runtuh.",
                ),
                descriptions_en=(
                    "Water has been dripping from the bathroom ceiling for a week; there is mould "
                    "now and we worry it will collapse.",
                ),
                fixes=(
                    "Paip di unit atas yang bocor telah diganti dan siling dibaiki.",
                    "Leaking pipe in the unit above replaced; ceiling patched.",
                ),
            ),
            Scenario(
                places=("koridor tingkat {floor}",),
                titles_ms=(
                    "Paip bocor di tingkat {floor}",
                    "Paip pecah di koridor tingkat {floor} Blok {block}",
                ),
                titles_en=(
                    "Leaking pipe on floor {floor}, Block {block}",
                    "Burst pipe in the corridor of Block {block}",
                ),
                descriptions_ms=(
                    "Paip utama di koridor tingkat {floor} pecah, air mengalir ke tangga dan "
                    "lantai licin. Budak-budak hampir jatuh.",
                ),
                descriptions_en=(
                    "A pipe burst in the corridor and water is flowing down the stairs. It is "
                    "very slippery.",
                ),
                fixes=(
                    "Bahagian paip yang pecah telah diganti; koridor dikeringkan dan dibersihkan.",
                    "Burst pipe section replaced; corridor dried and cleaned.",
                ),
            ),
            Scenario(
                places=("tangga tingkat {floor}",),
                titles_ms=("Paip najis bocor di tangga Blok {block}",),
                titles_en=("Sewage pipe leaking in the Block {block} staircase",),
                descriptions_ms=(
                    "Paip najis bocor dan berbau busuk sepanjang tangga. Sudah lapor kepada "
                    "pengawal tetapi belum ada tindakan.",
                ),
                descriptions_en=(
                    "Sewage pipe leaking in the staircase; the smell reaches every floor.",
                ),
                fixes=("Paip najis diganti dan tangga dicuci serta dinyahkuman.",),
            ),
            Scenario(
                places=("koridor tingkat {floor}",),
                titles_ms=("Longkang tersumbat, air melimpah ke koridor tingkat {floor}",),
                titles_en=("Blocked drain flooding the corridor on floor {floor}",),
                descriptions_ms=(
                    "Setiap kali hujan, longkang di hujung koridor tersumbat dan air masuk ke "
                    "rumah penghuni.",
                ),
                descriptions_en=(
                    "Whenever it rains the drain at the end of the corridor overflows into the "
                    "units.",
                ),
                fixes=("Longkang dikorek dan paip salur keluar dibersihkan.", "Drain unblocked."),
            ),
        ),
    ),
    CategorySpec(
        code="SAMPAH",
        name_ms="Sampah",
        name_en="Rubbish",
        sla=SlaTargets(acknowledge_hours=24, first_response_hours=48, resolve_hours=120),
        weight=14,
        ack_hours=12,
        fix_days=2.5,
        urgent=False,
        supports=3.0,
        private=0.0,
        anonymous=0.2,
        assignees=(
            (Party.CONTRACTOR, "Bersih Maju Enterprise"),
            (Party.COMMITTEE, "Biro Kebersihan JK"),
        ),
        work_ms="membersihkan kawasan dan mengutip sampah",
        work_en="clear the rubbish",
        scenarios=(
            Scenario(
                places=("kawasan bawah blok", "laluan pejalan kaki"),
                titles_ms=(
                    "Sampah dibuang dari tingkat atas",
                    "Lampin pakai buang dicampak dari tingkat atas Blok {block}",
                    "Sampah bertaburan di bawah Blok {block}",
                ),
                titles_en=(
                    "Rubbish thrown from upper floors again",
                    "Someone throwing rubbish from the upper floors of Block {block}",
                ),
                descriptions_ms=(
                    "Setiap malam ada penghuni buang sampah dari tingkat atas. Pagi tadi plastik "
                    "sampah hampir kena kepala budak di laluan pejalan kaki.",
                    "Lampin dan sisa makanan dicampak dari tingkat atas Blok {block}, jatuh atas "
                    "kereta dan motosikal penghuni.",
                ),
                descriptions_en=(
                    "Someone keeps throwing rubbish from the upper floors at night; this morning "
                    "a bag almost hit a child on the walkway.",
                    "Nappies and food waste thrown from the upper floors land on residents' cars "
                    "and motorcycles.",
                ),
                fixes=(
                    "Kawasan dibersihkan. Notis amaran buang sampah dari tingkat atas diedarkan ke "
                    "setiap unit dan JK telah berjumpa penghuni yang terlibat.",
                    "Area cleared; CCTV camera now covers the walkway and warning notices were "
                    "sent to every unit.",
                ),
            ),
            Scenario(
                places=("rumah sampah",),
                titles_ms=(
                    "Rumah sampah Blok {block} penuh, tidak dikutip 3 hari",
                    "Sampah tidak dikutip di Blok {block}",
                ),
                titles_en=("Garbage room in Block {block} overflowing",),
                descriptions_ms=(
                    "Sampah tidak dikutip sejak Jumaat. Bau busuk dan tikus banyak di sekitar "
                    "rumah sampah.",
                ),
                descriptions_en=(
                    "Garbage has not been collected since Friday. It smells and there are rats "
                    "everywhere.",
                ),
                fixes=(
                    "Sampah telah dikutip dan jadual kutipan dipulihkan.",
                    "Rubbish collected; the contractor added a Monday collection.",
                ),
            ),
            Scenario(
                places=("lobi", "laluan pejalan kaki", "kawasan bawah blok"),
                titles_ms=("Perabot lama dibuang di {area} Blok {block}",),
                titles_en=("Bulky waste dumped near Block {block}",),
                descriptions_ms=(
                    "Ada tilam dan perabot lama dibuang di {area}. Menghalang laluan kerusi roda.",
                ),
                descriptions_en=(
                    "Old mattresses and furniture dumped next to the block, blocking the "
                    "wheelchair ramp.",
                ),
                fixes=("Sampah pukal telah diangkut oleh kontraktor.", "Bulky waste removed."),
            ),
        ),
    ),
    CategorySpec(
        code="KEBERSIHAN",
        name_ms="Kebersihan koridor",
        name_en="Corridor cleanliness",
        sla=SlaTargets(acknowledge_hours=24, first_response_hours=72, resolve_hours=168),
        weight=9,
        ack_hours=16,
        fix_days=3,
        urgent=False,
        supports=1.5,
        private=0.0,
        anonymous=0.15,
        assignees=((Party.CONTRACTOR, "Bersih Maju Enterprise"),),
        work_ms="mencuci koridor dan tangga",
        work_en="clean the corridor and stairs",
        scenarios=(
            Scenario(
                places=("koridor tingkat {floor}",),
                titles_ms=(
                    "Koridor tingkat {floor} sangat kotor",
                    "Koridor Blok {block} tidak dicuci lebih seminggu",
                ),
                titles_en=("Corridor on floor {floor} not cleaned for weeks",),
                descriptions_ms=(
                    "Koridor tidak dicuci lebih seminggu. Lantai melekit dan ada tumpahan minyak.",
                ),
                descriptions_en=(
                    "The corridor has not been mopped for over a week; the floor is sticky and "
                    "there are oil stains.",
                ),
                fixes=(
                    "Koridor telah dicuci oleh kontraktor pembersihan.",
                    "Corridor cleaned; the roster now covers the upper floors every week.",
                ),
            ),
            Scenario(
                places=("tangga tingkat {floor}",),
                titles_ms=("Tangga Blok {block} berbau hancing",),
                titles_en=("Staircase in Block {block} smells of urine",),
                descriptions_ms=(
                    "Tangga berbau hancing dan ada puntung rokok serta botol. Pekerja pembersihan "
                    "jarang naik ke tingkat atas.",
                ),
                descriptions_en=(
                    "The stairs smell of urine and there are cigarette butts and bottles "
                    "everywhere. Cleaners rarely come up to the higher floors.",
                ),
                fixes=("Tangga dicuci dan dinyahbau.", "Staircase washed and deodorised."),
            ),
            Scenario(
                places=("tangga tingkat {floor}",),
                titles_ms=("Najis kucing di tangga tingkat {floor}",),
                titles_en=("Cat mess on the floor {floor} stairs every morning",),
                descriptions_ms=(
                    "Ada najis kucing di tangga setiap pagi. Anak-anak lalu di sini ke sekolah.",
                ),
                descriptions_en=(
                    "There is cat mess on the stairs every morning; children walk here to school.",
                ),
                fixes=(
                    "Tangga dibersihkan; JK mengingatkan penghuni supaya tidak memberi makan kucing "
                    "liar di tangga.",
                ),
            ),
            Scenario(
                places=("lobi lif tingkat {floor}",),
                titles_ms=("Lobi lif tingkat {floor} kotor dan berminyak",),
                titles_en=("Lift lobby on floor {floor} filthy",),
                descriptions_ms=(
                    "Lantai lobi lif melekit, ada tumpahan minyak dan sampah kecil. Pekerja "
                    "pembersihan jarang datang.",
                ),
                descriptions_en=(
                    "The lift lobby floor is sticky with spilt oil and litter; the cleaners "
                    "rarely come.",
                ),
                fixes=("Lobi lif telah dicuci.", "Lift lobby cleaned."),
            ),
        ),
    ),
    CategorySpec(
        code="KESELAMATAN",
        name_ms="Keselamatan & dadah",
        name_en="Security & drugs",
        sla=SlaTargets(acknowledge_hours=12, first_response_hours=48, resolve_hours=336),
        weight=7,
        ack_hours=8,
        fix_days=20,
        urgent=False,
        supports=2.0,
        private=0.6,
        anonymous=0.5,
        assignees=(
            (Party.COMMITTEE, "Biro Keselamatan JK dan Rukun Tetangga"),
            (Party.CONTRACTOR, "Syarikat Kawalan Waja Sdn Bhd"),
        ),
        work_ms="meningkatkan kawalan keselamatan",
        work_en="step up security",
        scenarios=(
            Scenario(
                places=("tangga tingkat {floor}", "bumbung"),
                titles_ms=(
                    "Aktiviti mencurigakan di {area} waktu malam",
                    "Penagih dadah berkumpul di {area} Blok {block}",
                ),
                titles_en=("Suspected drug activity in Block {block} at night",),
                descriptions_ms=(
                    "Beberapa orang luar berkumpul di {area} selepas jam 12 malam. Ada bau pelik "
                    "dan penghuni takut lalu.",
                    "Saya tidak mahu nama saya didedahkan. Aktiviti ini berlaku hampir setiap "
                    "malam di {area}.",
                ),
                descriptions_en=(
                    "Outsiders gather here after midnight; there is a strange smell and residents "
                    "are afraid to pass.",
                    "Please keep my name private. This happens almost every night.",
                ),
                fixes=(
                    "Rondaan bersama polis dan Rukun Tetangga dijalankan selama dua minggu; pintu "
                    "ke bumbung telah dikunci.",
                    "Joint patrols with the police for two weeks; roof access door now locked.",
                ),
            ),
            Scenario(
                places=("taman permainan", "tangga tingkat {floor}"),
                titles_ms=("Jarum suntikan dijumpai di {area}",),
                titles_en=("Syringes found near Block {block}",),
                descriptions_ms=(
                    "Jarum dan picagari dijumpai di {area}. Kanak-kanak selalu bermain di situ.",
                ),
                descriptions_en=("Needles and syringes found where children play every day.",),
                fixes=(
                    "Jarum dikutip dengan selamat oleh pasukan kesihatan; kawasan dipantau oleh "
                    "Rukun Tetangga.",
                ),
            ),
            Scenario(
                places=("pintu pagar utama",),
                titles_ms=("Pintu pagar utama rosak, orang luar bebas masuk",),
                titles_en=("Main gate broken, outsiders walk in freely",),
                descriptions_ms=(
                    "Pagar utama tidak boleh dikunci sejak sebulan. Orang luar keluar masuk tanpa "
                    "kawalan.",
                ),
                descriptions_en=("The main gate has not locked for a month; anyone can walk in.",),
                fixes=(
                    "Pagar utama dibaiki dan kad akses baharu diedarkan kepada penghuni.",
                    "Gate lock repaired; new access cards issued.",
                ),
            ),
            Scenario(
                places=("tempat letak motosikal",),
                titles_ms=(
                    "Motosikal dicuri di tempat letak motosikal Blok {block}",
                    "Kecurian motosikal berulang di Blok {block}",
                ),
                titles_en=("Motorcycle stolen from the Block {block} parking area",),
                descriptions_ms=(
                    "Motosikal saya dicuri malam tadi walaupun berkunci. Ini kes ketiga bulan ini "
                    "dan CCTV tidak berfungsi.",
                ),
                descriptions_en=(
                    "My motorcycle was stolen last night although it was locked; third case this "
                    "month and the CCTV does not work.",
                ),
                fixes=(
                    "CCTV dibaiki dan lampu tambahan dipasang; laporan polis telah dibuat.",
                    "CCTV repaired and extra lighting installed; police report lodged.",
                ),
            ),
            Scenario(
                places=("taman permainan", "tangga tingkat {floor}"),
                titles_ms=("Kumpulan remaja melepak dan bising di {area} hingga pagi",),
                titles_en=("Youths loitering and making noise until morning",),
                descriptions_ms=(
                    "Setiap malam ada kumpulan remaja melepak, merokok dan bising sampai pukul 3 "
                    "pagi.",
                ),
                descriptions_en=(
                    "Every night a group of youths hangs around smoking and shouting until 3 a.m.",
                ),
                fixes=("JK berjumpa ibu bapa terlibat dan rondaan malam Rukun Tetangga ditambah.",),
            ),
        ),
    ),
    CategorySpec(
        code="TAMAN",
        name_ms="Taman permainan",
        name_en="Playground",
        sla=SlaTargets(acknowledge_hours=48, first_response_hours=120, resolve_hours=720),
        weight=4,
        ack_hours=30,
        fix_days=30,
        urgent=False,
        supports=2.5,
        private=0.0,
        anonymous=0.05,
        assignees=((Party.CONTRACTOR, "Landskap Hijau Sdn Bhd"),),
        work_ms="membaiki peralatan taman permainan",
        work_en="repair the playground equipment",
        scenarios=(
            Scenario(
                places=("taman permainan",),
                titles_ms=("Buaian di taman permainan patah",),
                titles_en=("Broken swing at the playground",),
                descriptions_ms=(
                    "Rantai buaian putus dan budak hampir jatuh. Sudah ikat dengan tali sementara.",
                ),
                descriptions_en=(
                    "The swing chain snapped and a child nearly fell. We tied it up with rope for "
                    "now.",
                ),
                fixes=("Buaian yang rosak telah diganti.", "Swing replaced."),
            ),
            Scenario(
                places=("taman permainan",),
                titles_ms=("Gelongsor taman permainan berkarat dan tajam",),
                titles_en=("Playground slide has sharp rusty edges",),
                descriptions_ms=(
                    "Gelongsor berkarat, ada bahagian tajam. Seorang budak luka tangan minggu "
                    "lepas.",
                ),
                descriptions_en=(
                    "The slide is rusty with sharp edges; a child cut his hand last week.",
                ),
                fixes=("Gelongsor diganti dengan yang baharu.", "Slide replaced."),
            ),
            Scenario(
                places=("taman permainan",),
                titles_ms=(
                    "Lantai getah taman permainan tercabut",
                    "Taman permainan Blok {block} penuh semak",
                ),
                titles_en=("Playground overgrown and unsafe",),
                descriptions_ms=(
                    "Lantai getah tercabut dan ada lubang. Semak di tepi taman sudah tinggi, risau "
                    "ada ular.",
                ),
                descriptions_en=(
                    "The rubber flooring is torn and the bushes are so high we worry about snakes.",
                ),
                fixes=(
                    "Lantai getah ditampal dan semak dibersihkan.",
                    "Flooring patched and bushes cut back.",
                ),
            ),
        ),
    ),
    CategorySpec(
        code="PARKIR",
        name_ms="Tempat letak kereta",
        name_en="Parking",
        sla=SlaTargets(acknowledge_hours=48, first_response_hours=120, resolve_hours=336),
        weight=6,
        ack_hours=24,
        fix_days=14,
        urgent=False,
        supports=2.0,
        private=0.0,
        anonymous=0.15,
        assignees=(
            (Party.COMMITTEE, "Biro Keselamatan JK dan Rukun Tetangga"),
            (Party.MANAGEMENT, "Unit Penguatkuasaan"),
        ),
        work_ms="menyelesaikan masalah tempat letak kenderaan",
        work_en="sort out the parking problem",
        scenarios=(
            Scenario(
                places=("tempat letak kereta",),
                titles_ms=("Kereta terbiar di petak Blok {block} lebih 3 bulan",),
                titles_en=("Abandoned car in Block {block} parking",),
                descriptions_ms=(
                    "Kereta tanpa cukai jalan ditinggalkan di petak penghuni sejak 3 bulan. Tayar "
                    "sudah kempis dan ada air bertakung.",
                ),
                descriptions_en=(
                    "A car without road tax has been left in a resident bay for three months; the "
                    "tyres are flat and water collects inside.",
                ),
                fixes=(
                    "Kenderaan terbiar telah ditunda oleh pihak berkuasa tempatan.",
                    "Abandoned car towed by the council.",
                ),
            ),
            Scenario(
                places=("tempat letak kereta", "tempat letak motosikal"),
                titles_ms=("Orang luar letak kenderaan di petak penghuni",),
                titles_en=("Outsiders taking residents' parking bays",),
                descriptions_ms=(
                    "Orang luar yang bekerja berdekatan letak kenderaan di sini setiap hari. "
                    "Penghuni balik kerja malam tiada tempat.",
                ),
                descriptions_en=(
                    "People working nearby park here every day; residents coming home at night "
                    "find no space.",
                ),
                fixes=(
                    "Pelekat penghuni diedarkan dan notis dilekatkan pada kenderaan luar.",
                    "Resident stickers issued; outside vehicles given notices.",
                ),
            ),
            Scenario(
                places=("laluan bomba",),
                titles_ms=("Kenderaan menghalang laluan bomba",),
                titles_en=("Cars blocking the fire engine access road",),
                descriptions_ms=(
                    "Kenderaan diletak di laluan bomba setiap malam. Jika berlaku kebakaran, "
                    "jentera bomba tidak dapat masuk.",
                ),
                descriptions_en=(
                    "Cars park on the fire engine access road every night. A fire engine could "
                    "not get through.",
                ),
                fixes=(
                    "Garisan kuning dan papan tanda larangan dicat semula di laluan bomba.",
                    "Yellow lines repainted and no-parking signs put up on the fire lane.",
                ),
            ),
            Scenario(
                places=("tempat letak kereta",),
                titles_ms=("Lubang besar di tempat letak kereta Blok {block}",),
                titles_en=("Big pothole in the Block {block} car park",),
                descriptions_ms=(
                    "Lubang besar dan dalam, air bertakung bila hujan. Sudah dua motosikal "
                    "terjatuh.",
                ),
                descriptions_en=(
                    "A deep pothole fills with water when it rains; two motorcyclists have "
                    "already fallen.",
                ),
                fixes=("Lubang telah ditampal dengan tar.", "Pothole patched."),
            ),
        ),
    ),
    CategorySpec(
        code="PEROSAK",
        name_ms="Serangga perosak",
        name_en="Pests",
        sla=SlaTargets(acknowledge_hours=48, first_response_hours=120, resolve_hours=336),
        weight=7,
        ack_hours=24,
        fix_days=10,
        urgent=False,
        supports=2.0,
        private=0.0,
        anonymous=0.05,
        assignees=((Party.CONTRACTOR, "Kawalan Perosak Bestari Sdn Bhd"),),
        work_ms="menjalankan kawalan perosak",
        work_en="carry out pest control",
        scenarios=(
            Scenario(
                places=("rumah sampah",),
                titles_ms=("Banyak tikus di rumah sampah Blok {block}",),
                titles_en=("Rats everywhere near the garbage room",),
                descriptions_ms=(
                    "Tikus besar keluar masuk rumah sampah siang dan malam. Ada yang masuk ke unit "
                    "penghuni.",
                ),
                descriptions_en=(
                    "Big rats around the garbage room day and night; some got into residents' "
                    "units.",
                ),
                fixes=(
                    "Umpan dan perangkap tikus dipasang di sekitar rumah sampah.",
                    "Rat baiting done around the garbage room.",
                ),
            ),
            Scenario(
                places=("koridor tingkat {floor}", UNIT),
                titles_ms=("Lipas banyak di tingkat {floor} Blok {block}",),
                titles_en=("Cockroach infestation on floor {floor}",),
                descriptions_ms=(
                    "Lipas keluar dari longkang dan lubang paip setiap malam, masuk ke rumah.",
                ),
                descriptions_en=(
                    "Cockroaches come out of the drains and pipe holes every night and into our "
                    "homes.",
                ),
                fixes=(
                    "Semburan racun serangga dijalankan di seluruh tingkat.",
                    "Pest control spraying done on every floor.",
                ),
            ),
            Scenario(
                places=("koridor tingkat {floor}",),
                titles_ms=("Sarang tebuan di koridor tingkat {floor}",),
                titles_en=("Wasp nest in the corridor on floor {floor}",),
                descriptions_ms=(
                    "Sarang tebuan besar di siling koridor. Seorang budak disengat semalam.",
                ),
                descriptions_en=(
                    "A large wasp nest under the corridor ceiling; a child was stung yesterday.",
                ),
                fixes=("Sarang tebuan telah dimusnahkan oleh bomba.", "Wasp nest removed."),
            ),
            Scenario(
                places=("longkang", "bumbung"),
                titles_ms=("Air bertakung, banyak nyamuk di {area}",),
                titles_en=("Stagnant water breeding mosquitoes",),
                descriptions_ms=(
                    "Air bertakung dan banyak jentik-jentik. Ada kes denggi di blok sebelah bulan "
                    "lepas.",
                ),
                descriptions_en=(
                    "Stagnant water full of mosquito larvae; there was a dengue case in the next "
                    "block last month.",
                ),
                fixes=(
                    "Air bertakung disalirkan dan pengasapan dijalankan.",
                    "Stagnant water drained and fogging carried out.",
                ),
            ),
        ),
    ),
    CategorySpec(
        code="BUMBUNG",
        name_ms="Bumbung bocor",
        name_en="Leaking roof",
        sla=SlaTargets(acknowledge_hours=48, first_response_hours=120, resolve_hours=720),
        weight=6,
        ack_hours=20,
        fix_days=35,
        urgent=False,
        supports=1.5,
        private=0.0,
        anonymous=0.05,
        assignees=((Party.CONTRACTOR, "Syarikat Bina Teguh Sdn Bhd"),),
        work_ms="membaiki bumbung yang bocor",
        work_en="repair the roof",
        scenarios=(
            Scenario(
                places=(UNIT,),
                titles_ms=(
                    "Bumbung bocor, air masuk ke unit {unit}",
                    "Siling tingkat atas bocor setiap kali hujan",
                ),
                titles_en=("Roof leaking into top-floor unit {unit}",),
                descriptions_ms=(
                    "Setiap kali hujan lebat air masuk dari siling ke ruang tamu. Kami tadah "
                    "dengan baldi dan tilam anak sudah rosak.",
                ),
                descriptions_en=(
                    "Whenever it rains heavily water comes through the ceiling into the living "
                    "room; the children's mattress is ruined.",
                ),
                fixes=(
                    "Bumbung di atas unit dilapis semula dengan membran kalis air.",
                    "Roof above the unit re-sealed with a waterproof membrane.",
                ),
            ),
            Scenario(
                places=("bumbung", "koridor tingkat {floor}"),
                titles_ms=("Atap Blok {block} tercabut selepas ribut",),
                titles_en=("Roof sheets blown off Block {block} after the storm",),
                descriptions_ms=(
                    "Selepas ribut semalam beberapa keping atap tercabut. Air hujan masuk ke "
                    "koridor tingkat teratas.",
                ),
                descriptions_en=(
                    "Several roof sheets came off in last night's storm and rain now pours into "
                    "the top corridor.",
                ),
                fixes=("Kepingan atap diganti dan longkang bumbung dibersihkan.",),
            ),
        ),
    ),
    CategorySpec(
        code="LAMPU",
        name_ms="Lampu",
        name_en="Lighting",
        sla=SlaTargets(acknowledge_hours=24, first_response_hours=72, resolve_hours=168),
        weight=9,
        ack_hours=16,
        fix_days=5,
        urgent=False,
        supports=1.5,
        private=0.0,
        anonymous=0.05,
        assignees=((Party.CONTRACTOR, "Elektrik Terang Enterprise"),),
        work_ms="menggantikan lampu yang rosak",
        work_en="replace the broken lights",
        scenarios=(
            Scenario(
                places=("tangga tingkat {floor}", "koridor tingkat {floor}"),
                titles_ms=("Lampu di {area} Blok {block} tidak menyala",),
                titles_en=("Lights out on floor {floor}, Block {block}",),
                descriptions_ms=(
                    "Lampu di {area} padam sejak seminggu. Waktu malam sangat gelap dan bahaya "
                    "untuk wanita dan kanak-kanak.",
                ),
                descriptions_en=(
                    "The lights have been out for a week; it is pitch dark at night and unsafe "
                    "for women and children.",
                ),
                fixes=("Lampu LED baharu telah dipasang.", "New LED lights installed."),
            ),
            Scenario(
                places=("tempat letak kereta",),
                titles_ms=("Lampu jalan di tempat letak kereta Blok {block} rosak",),
                titles_en=("Car park lights not working",),
                descriptions_ms=(
                    "Tiga tiang lampu di tempat letak kereta tidak menyala. Ada kes ragut bulan "
                    "lepas.",
                ),
                descriptions_en=(
                    "Three lamp posts in the car park are out; there was a snatch theft last "
                    "month.",
                ),
                fixes=("Pendawaian tiang lampu dibaiki dan mentol diganti.",),
            ),
            Scenario(
                places=("lobi lif tingkat {floor}",),
                titles_ms=("Lampu lobi lif Blok {block} berkelip-kelip",),
                titles_en=("Flickering lights in the Block {block} lift lobby",),
                descriptions_ms=(
                    "Lampu berkelip-kelip dan kadang-kadang padam terus. Suis di kotak elektrik "
                    "nampak terbakar.",
                ),
                descriptions_en=(
                    "Lights keep flickering and then go out completely; the switch box looks "
                    "burnt.",
                ),
                fixes=(
                    "Suis dan pendawaian yang terbakar diganti.",
                    "Burnt switch and wiring replaced.",
                ),
            ),
        ),
    ),
)

#: Extra sentences residents add; some reports have none.
REPORT_TAILS: tuple[str, ...] = (
    "Gambar ada, boleh hantar melalui WhatsApp.",
    "Mohon tindakan segera.",
    "Sudah lapor kepada pengawal keselamatan tetapi tiada tindakan.",
    "Ini kali ketiga bulan ini.",
    "Please look into this urgently.",
    "Terima kasih.",
)

ACK_NOTES: tuple[str, ...] = (
    "Aduan diterima dan direkodkan. Pegawai akan membuat pemeriksaan.",
    "Aduan diterima. Kami akan maklumkan perkembangan.",
    "Received; an officer will inspect the site.",
    "Diterima. Pasukan penyelenggaraan telah dimaklumkan.",
)

RESPONSES_MS: tuple[str, ...] = (
    "Pihak pengurusan telah memeriksa lokasi. Kerja untuk {work} dijadualkan selesai sebelum "
    "{date}.",
    "Kontraktor telah diarahkan untuk {work}. Dijangka selesai pada {date}.",
    "Terima kasih atas aduan. Kami akan {work} dan sasaran siap ialah {date}.",
)
RESPONSES_EN: tuple[str, ...] = (
    "We inspected the site; the work to {work} is scheduled to finish by {date}.",
    "The contractor has been instructed to {work}; expected completion {date}.",
)

NFA_REASONS: dict[str, tuple[str, ...]] = {
    "PAIP": (
        "Kebocoran berpunca daripada paip dalaman unit; penyewa perlu membaiki sendiri mengikut "
        "perjanjian sewa.",
    ),
    "PARKIR": (
        "Kenderaan milik pelawat yang sah; tiada kesalahan dilakukan.",
        "Perkara di luar bidang kuasa pengurusan PPR; telah dirujuk kepada polis trafik.",
    ),
    "AIR": ("Gangguan bekalan dari pembekal air di seluruh kawasan; bukan kerosakan dalam PPR.",),
    "KESELAMATAN": ("Telah dirujuk kepada Polis DiRaja Malaysia untuk tindakan lanjut.",),
}
NFA_GENERIC: tuple[str, ...] = (
    "Pemeriksaan di lokasi tidak menemui masalah yang dilaporkan.",
    "Site inspection found no fault; the reporter could not be reached for details.",
    "Kerja ini memerlukan peruntukan besar dan telah dimasukkan dalam pelan penyelenggaraan "
    "tahun hadapan.",
)

WITHDRAW_REASONS: tuple[str | None, ...] = (
    "Dah dibaiki sendiri.",
    "Salah blok, saya buat aduan baru.",
    "Masalah selesai sendiri.",
    "Sorted out with my neighbour.",
    None,
)

DISPUTE_REASONS: tuple[str, ...] = (
    "Masalah masih berlaku. Keadaan sama seperti sebelum ini.",
    "Hanya diselesaikan separuh, masalah berulang dua hari kemudian.",
    "Not fixed: same problem the next day.",
    "Kontraktor datang sekejap sahaja, masalah masih ada.",
    "It was fine for one day and then the same problem came back.",
)

#: What a resident adds when confirming a fix, by how satisfied they are (none is common).
CONFIRM_COMMENTS_GOOD: tuple[str | None, ...] = (
    "Terima kasih, sudah ok.",
    "Alhamdulillah, dah selesai.",
    "Good job, sorted properly.",
    None,
    None,
)
CONFIRM_COMMENTS_POOR: tuple[str | None, ...] = (
    "Ok, tapi ambil masa terlalu lama.",
    "Sudah selesai tetapi kerja kurang kemas.",
    "Fixed in the end, but only after many complaints.",
    None,
)

RESIDENT_COMMENTS: tuple[str, ...] = (
    "Masih belum selesai sampai hari ini.",
    "Bila nak diselesaikan? Sudah lama menunggu.",
    "Saya pun alami masalah yang sama.",
    "Tolong ambil tindakan segera.",
    "Any update on this?",
    "Saya dah telefon pejabat pengurusan tapi tiada jawapan.",
    "Keadaan ini bahaya untuk anak-anak dan warga emas.",
)
THANKS_COMMENTS: tuple[str, ...] = (
    "Terima kasih JK dan pengurusan, sekarang dah ok.",
    "Thanks everyone, much better now.",
    "Terima kasih atas tindakan pantas.",
)
COMMITTEE_COMMENTS: tuple[str, ...] = (
    "Perkara ini akan dibawa ke mesyuarat JK bulan ini.",
    "JK telah memantau lokasi bersama pegawai pengurusan.",
    "Kami sudah maklumkan kepada pengurusan, mohon bersabar.",
    "Notis kesedaran telah ditampal di setiap tingkat.",
    "The committee will follow up with management this week.",
)
MANAGEMENT_NOTES: tuple[str, ...] = (
    "Menunggu kelulusan sebut harga kontraktor daripada jabatan.",
    "Bajet penyelenggaraan suku ini hampir habis; mohon kelulusan tambahan.",
    "Pemeriksaan tapak dijadualkan minggu ini.",
    "PO telah dikeluarkan kepada kontraktor.",
    "Follow up with contractor: no show yesterday.",
)
COMMITTEE_NOTES: tuple[str, ...] = (
    "Penghuni unit berkenaan pernah diberi amaran sebelum ini.",
    "Maklumat penghuni: aktiviti ini selalunya selepas jam 1 pagi.",
    "JK cadang isu ini dibawa ke mesyuarat bersama pengurusan.",
    "Pengadu minta nama tidak didedahkan kepada jiran.",
)
DUPLICATE_COMMENT = "Aduan yang sama telah dibuat sebelum ini; sila sokong aduan asal."

# How a report reaches the service decides who records it: residents use the app, web and the
# WhatsApp line themselves; paper logbooks and meeting minutes are entered by the committee; phone
# calls to the office are logged by management; Open311 clients come through the integration.
CHANNEL_WEIGHTS: tuple[tuple[Channel, float], ...] = (
    (Channel.APP, 40),
    (Channel.WHATSAPP, 22),
    (Channel.WEB, 8),
    (Channel.PAPER, 10),
    (Channel.MEETING, 6),
    (Channel.PHONE, 10),
    (Channel.OPEN311, 4),
)
RESIDENT_CHANNELS = frozenset({Channel.APP, Channel.WHATSAPP, Channel.WEB})

#: Residents report from early morning to late night, most after work.
REPORT_HOURS: tuple[float, ...] = (
    0.3, 0.1, 0.05, 0.05, 0.1, 0.3, 1.0, 2.5, 2.5, 1.8, 1.5, 1.5,
    2.0, 1.8, 1.2, 1.2, 1.3, 1.8, 2.5, 3.0, 3.0, 2.8, 2.0, 1.0,
)  # fmt: skip
