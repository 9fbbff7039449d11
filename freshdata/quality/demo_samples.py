"""Short demo page texts for the local demo site, each written to trip one quality rule.

`DEMO_SAMPLES[name]` is plain text (paragraphs separated by blank lines); `EXPECTED[name]` is the
reason prefix the default recipe gives it (None = kept). The demo serves from 127.0.0.1, so the
blocklisted sample must be served under a URL whose path contains `BLOCKED_DOMAIN` as a segment,
e.g. http://127.0.0.1:8000/casino-spam.example/welcome.html (see `DEMO_URL_PATHS`).
"""

from __future__ import annotations

BLOCKED_DOMAIN = "casino-spam.example"

_COOKIE_BOILERPLATE = """\
Home
News
Sport
Weather
Contact
This website uses cookies to improve your experience. By continuing you accept all cookies.
Please enable JavaScript in your browser to view this page correctly.
Read our privacy policy and cookie policy for details.
Terms of use apply to all content on this site.
Subscribe
Log in
Menu
Search
Local
World
Business
Opinion
Video
Photos
Podcasts
Newsletters
Events
Jobs
Classifieds
Obituaries
About
Careers
Advertise
Help
Sitemap
Accessibility
Copyright 2025 Example Media Group. All rights reserved.
Follow us
Facebook
Instagram
YouTube
Share this page
Back to top
Update your cookie preferences at any time in the footer of every page.
We use cookies and similar technologies to personalise content and ads.
JavaScript is required for the interactive map and the comment form.
Your use of cookies settings can be changed in your browser.
Manage consent
Accept
Reject
More options
Read more
Most popular
Trending now
Editor's picks
Latest stories
Weather alerts
Traffic updates
Lottery results
TV guide
Puzzles
Crosswords
Sudoku
"""

_REPETITION_SPAM = "\n\n".join(
    [
        "Best cheap hotel deals in the city center, book now and save on your stay tonight.",
        "Best cheap hotel deals in the city center, book now and save on your stay tonight.",
        "Cheap hotel deals, cheap hotel deals, cheap hotel deals for every traveller who wants to save.",
    ]
    + ["Book now and save on the best cheap hotel deals in the city center tonight."] * 12
    + [
        "Our hotel deals are the best hotel deals and the cheapest hotel deals you will find.",
        "Best cheap hotel deals in the city center, book now and save on your stay tonight.",
    ]
)

_GERMAN_ARTICLE = """\
Die Stadtbibliothek hat am Montag ihre neuen Räume in der ehemaligen Tuchfabrik eröffnet. Nach \
drei Jahren Bauzeit stehen den Leserinnen und Lesern nun doppelt so viele Arbeitsplätze zur \
Verfügung, außerdem ein Lesecafé, ein Raum für Kinder und eine Werkstatt mit 3D-Druckern.

Die Bürgermeisterin sagte bei der Eröffnung, die Bibliothek sei heute weit mehr als ein Ort zum \
Ausleihen von Büchern. Sie sei ein Treffpunkt für alle Generationen, in dem man lernen, arbeiten \
und sich austauschen könne, ohne etwas bezahlen zu müssen. Besonders stolz sei die Stadt darauf, \
dass das alte Backsteingebäude erhalten werden konnte.

Die Kosten für den Umbau lagen bei rund zwölf Millionen Euro, von denen das Land etwa die Hälfte \
übernommen hat. Kritik gab es im Gemeinderat vor allem an den gestiegenen Baupreisen, die das \
Projekt um fast zwei Millionen Euro verteuert haben. Die Leiterin der Bibliothek betonte jedoch, \
dass die neuen Räume auch deutlich weniger Energie verbrauchen als das bisherige Gebäude.

In den ersten Wochen bietet die Bibliothek Führungen durch das Haus an. Schulklassen können sich \
für besondere Termine anmelden, bei denen die Kinder die Werkstatt ausprobieren dürfen. Die \
Öffnungszeiten wurden ebenfalls erweitert: Von Montag bis Samstag ist das Haus nun bis zwanzig \
Uhr geöffnet, am Sonntag gibt es ein Familienprogramm mit Lesungen und Spielen.

Viele Besucherinnen und Besucher nutzten schon am ersten Tag die Gelegenheit, sich einen neuen \
Ausweis ausstellen zu lassen. Die Bibliothek rechnet damit, dass sich die Zahl der Besuche im \
kommenden Jahr deutlich erhöhen wird.
"""

_PII_ARTICLE = """\
The neighbourhood association met on Thursday evening to plan the spring clean-up of the river \
path, and more than forty residents came to the community hall to hear the details.

The organiser, Maria Lopez, asked volunteers to register in advance so that the group can order \
enough gloves, bags and tools. You can write to her at maria.lopez@example.org or call her on \
+1 415 555 0132 during the week. She said that the association would also like to hear from \
local businesses that want to sponsor the event.

A member of the committee explained that the online sign-up form had been attacked by spam last \
year. The server log showed hundreds of requests from the address 203.0.113.77 and from \
2001:db8:85a3::8a2e:370:7334, so the form now has a simple question to keep robots out. Requests \
from the internal network at 192.168.1.20 were not affected.

The treasurer reminded everyone that donations should never be sent by email. One resident had \
mistakenly posted a card number, 4111 1111 1111 1111, in the group chat last month, and the \
committee asked members to be more careful with personal details such as the number 123-45-6789 \
that appeared on a scanned form.

The clean-up will start at nine in the morning at the old bridge, and the association will \
provide coffee and sandwiches for everyone who helps. Children are welcome if they come with an \
adult, and the group will finish by one in the afternoon.
"""

_BLOCKLISTED = """\
Welcome to the most exciting online casino of the year, where every new player gets a welcome \
package and a chance to play the classic games that everyone loves.

Our tables are open day and night. You can play roulette, blackjack and poker with players from \
all over the world, and our friendly support team is always ready to answer your questions. The \
games load quickly on every phone and tablet, and there is nothing to install.

Every week we run a tournament with a prize pool for the players who collect the most points. \
The rules are simple and the leaderboard is updated every hour, so you can always see how close \
you are to the top. Many of our players say that the tournaments are the best part of the site.

We believe that playing should be fun, and that is why we offer tools to set limits on your time \
and on your deposits. You can take a break at any time, and our guides explain how the games work \
so that you always know what to expect before you start.

Join today and find out why so many people have made this their favourite place to play in the \
evening after a long day at work.
"""

_ADULT_WORDS = """\
Hot nude pics and xxx videos, updated every day. The sexiest nude models, the hottest porn clips \
and the best xxx cams are all here, and the porn collection is free for everyone who signs up \
today.

Our nude galleries have more than ten thousand porn videos in every category, and new xxx scenes \
are added every hour. Watch nude camgirls live, chat with escorts in your city, and find erotic \
stories written by our horny readers. Every porn video streams in high quality on your phone.

Members get access to the private nude archive, the erotic photo sets and the weekly xxx top \
list. Invite your friends and get a month of porn for free. The best nude and porn site on the \
web, with the sexiest models and the hottest xxx content you have ever seen.
"""

_GOOD_HEALTH = """\
Regular physical activity is one of the most effective ways to protect the heart, and the good \
news is that the amount needed is smaller than many people think. Health agencies recommend about \
150 minutes of moderate activity per week, which works out to a brisk walk of around half an hour \
on five days.

Moderate activity means that your breathing and heart rate go up, but you can still hold a \
conversation. Cycling to work, climbing stairs, gardening and dancing all count. The important \
thing is to move often, because long periods of sitting are linked to higher blood pressure and \
a greater risk of type 2 diabetes, even in people who exercise in the evening.

Doctors also point out that strength matters as well as endurance. Two short sessions of muscle \
training per week help to keep bones strong and make it easier to stay independent later in life. \
Simple exercises with body weight, such as squats against a chair or push-ups against a wall, are \
enough to begin with and need no special equipment.

Sleep and diet play a part too. Adults who sleep seven to nine hours and eat plenty of vegetables, \
fruit, beans and whole grains tend to have lower cholesterol and recover better from exercise. \
Cutting back on salt and sugary drinks makes a measurable difference to blood pressure within a \
few weeks.

If you have a chronic condition, or if you have not been active for a long time, it is sensible \
to talk to your doctor before starting. Begin slowly, increase the effort step by step, and choose \
activities that you enjoy, because the best exercise plan is the one that you are able to keep \
doing for years rather than weeks.
"""

_GOOD_SPORTS = """\
The home side secured their place in the cup final on Saturday evening with a hard-fought two to \
one win over their neighbours, in a match that was decided by a header in the last ten minutes.

The visitors started the brighter of the two teams and deserved their lead after twenty minutes, \
when their captain drove a low shot into the far corner after a quick move down the left wing. \
For most of the first half the home players struggled to keep the ball, and the crowd grew quiet \
as chance after chance went begging at the other end.

The coach made two changes at half time, bringing on a second striker and moving the young \
midfielder into a more central role. The effect was immediate. The home team pressed higher, won \
the ball back in dangerous areas, and equalised within five minutes when a cross from the right \
was turned in at the near post.

With the score level, both sides had good opportunities. The visiting goalkeeper made a superb \
save to deny a shot from the edge of the area, and a moment later a defender cleared the ball off \
the line. Then, with nine minutes left, a corner was swung into the box and the tall centre back \
rose above everyone to head the winner.

After the final whistle the coach praised the spirit of his players and said that the team had \
shown great character to come back from a goal down. The final will be played next month at the \
national stadium, and tickets for supporters of both clubs will go on sale on Monday morning.
"""

_GOOD_SOFTWARE = """\
Code review is one of the cheapest ways for a software team to find bugs early, but only if the \
reviews are small enough that people actually read them. A change of a few hundred lines can be \
checked carefully in half an hour, while a change of several thousand lines tends to be approved \
after a quick glance.

The first habit that helps is to split work into steps that each make sense on their own. A \
refactoring that renames a function should be reviewed separately from the new feature that uses \
it, because mixing the two hides the interesting part of the change. Small commits also make it \
easier to find the cause of a problem later with tools that search the history of the repository.

The second habit is to write a clear description. The author knows why the change was made, but \
the reviewer does not, so a short explanation of the problem, the chosen approach and the tests \
that were run saves a great deal of back and forth. If there were alternatives that were rejected, \
it is worth saying why.

Reviewers, for their part, should focus on the things that tools cannot check. Formatting and \
simple style issues are best left to automatic linters in the build pipeline. Human attention is \
better spent on naming, on the handling of errors and edge cases, and on whether the new code will \
be easy for the next developer to understand and change.

Finally, teams should agree on how quickly reviews are expected. A change that waits three days \
for feedback slows everyone down and encourages larger batches of work. Many teams aim to give a \
first response within one working day, which keeps the flow of changes steady and the reviews \
small.
"""

_GOOD_GARDEN = """\
Autumn is the best time of year to plant spring bulbs, and a little planning now will give you \
colour in the garden from February to May. Tulips, daffodils, crocuses and alliums are all easy to \
grow, and most of them will come back year after year if they are planted in the right place.

Choose a spot that gets at least half a day of sun and where the soil drains well, because bulbs \
rot quickly in ground that stays wet through the winter. If your soil is heavy clay, dig in some \
coarse sand or grit before planting, or grow the bulbs in pots instead.

As a rule of thumb, plant each bulb at a depth of about three times its own height, with the \
pointed end facing up. Daffodils can go in from September, while tulips are best planted in \
November, when the colder soil helps to prevent disease. Plant them in groups rather than in \
straight lines, because clusters of flowers look more natural.

After planting, water the bulbs once and then leave them alone. In pots, add a layer of gravel on \
top to keep squirrels from digging them up. When the flowers fade in spring, remove the dead heads \
but let the leaves die back on their own, because the leaves feed the bulb for the following year.

With a few bags of bulbs and an afternoon of work, even a small garden or a balcony can be full of \
flowers when the rest of the world is still grey.
"""

_JAPANESE_ARTICLE = """\
市営バス、来月から深夜便を試験運行へ

市交通局は二十日、市営バスの深夜便を来月一日から三か月間、試験的に運行すると発表した。対象は中心部と住宅地を結ぶ三路線で、最終便の発車時刻を午前零時半まで延長する。

同局によると、飲食店や病院で夜遅くまで働く人から「終電の後に帰る手段がない」との声が多く寄せられていた。昨年秋に実施した利用者アンケートでは、回答者の約四割が深夜便があれば利用すると答えたという。

運賃は通常と同じ二百三十円とし、交通系ICカードも利用できる。車両は小型バスを使い、運転手は新たに六人採用した。試験期間中は乗客数を路線ごとに集計し、一便あたり平均十五人を上回れば本格運行を検討する。

一方、沿線の住民からは夜間の騒音を心配する意見も出ている。同局は住宅街の停留所では発車時に車内放送の音量を下げるなどの対策を取るとしている。

市長は記者会見で「夜の街で働く人たちを支える取り組みにしたい。利用状況を見ながら、ほかの路線にも広げるかどうかを判断する」と述べた。
"""

_HINDI_ARTICLE = """\
शहर में खुलेगा नया सार्वजनिक पुस्तकालय

नगर निगम ने सोमवार को घोषणा की कि पुराने बस अड्डे की इमारत \
में अगले महीने एक नया सार्वजनिक पुस्तकालय खोला जाएगा। इसमें \
बीस हज़ार से अधिक किताबें, बच्चों के लिए एक अलग कमरा और पचास \
लोगों के बैठने की जगह होगी।

निगम के अधिकारियों ने बताया कि इमारत की मरम्मत पर लगभग दो \
करोड़ रुपये खर्च हुए हैं। पुस्तकालय सुबह आठ बजे से रात नौ \
बजे तक खुला रहेगा, ताकि छात्र और नौकरी करने वाले लोग दोनों \
इसका लाभ उठा सकें।

स्थानीय निवासियों ने इस फ़ैसले का स्वागत किया है। एक कॉलेज \
छात्रा ने कहा कि अब तक उन्हें पढ़ाई के लिए शांत जगह ढूँढने \
में बहुत परेशानी होती थी और नया पुस्तकालय उनके जैसे कई \
छात्रों के लिए मददगार होगा।

महापौर ने कहा कि अगले साल शहर के दो और इलाकों में ऐसे ही \
पुस्तकालय खोलने की योजना है। उन्होंने लोगों से अपील की कि वे \
पुरानी किताबें दान करें, ताकि संग्रह को और बढ़ाया जा सके।
"""

# isiZulu: the language-id model has no isiZulu label; below its confidence bar the text is 'und'
_ZULU_NOTICE = """\
Umasipala uthe uzoqala ukulungisa imigwaqo emikhulu yedolobha ngenyanga ezayo. Umsebenzi uzothatha izinyanga \
ezintathu futhi abashayeli bazocelwa ukuthi basebenzise eminye imigwaqo ngesikhathi sokulungiswa.

Umkhulumeli kamasipala uthe imali yalo msebenzi ivela kuhulumeni wesifundazwe. Uthe imigwaqo eminingi \
yonakele kakhulu ngenxa yezimvula ezinkulu zonyaka odlule, futhi izakhamizi bezilokhu zikhala ngemigodi.

Abanikazi bezitolo ezisemgwaqweni omkhulu bathi bayakwamukela lokhu kodwa bakhathazekile ngokuthi amakhasimende \
azoncipha. Umasipala uthembise ukuthi umsebenzi uzokwenziwa ebusuku lapho kunokwenzeka khona.

Izakhamizi zicelwa ukuthi zibike noma iyiphi inkinga ehhovisi likamasipala noma ngewebhusayithi yawo.
"""

DEMO_SAMPLES: dict[str, str] = {
    "boilerplate_cookies": _COOKIE_BOILERPLATE,
    "repetition_spam": _REPETITION_SPAM,
    "german_article": _GERMAN_ARTICLE,
    "pii_article": _PII_ARTICLE,
    "blocklisted_domain": _BLOCKLISTED,
    "adult_words": _ADULT_WORDS,
    "good_health": _GOOD_HEALTH,
    "good_sports": _GOOD_SPORTS,
    "good_software": _GOOD_SOFTWARE,
    "good_garden": _GOOD_GARDEN,
    "japanese_article": _JAPANESE_ARTICLE,
    "hindi_article": _HINDI_ARTICLE,
    "zulu_notice": _ZULU_NOTICE,
}

# Reason prefix under the default recipe; None = kept. The German, Japanese and Hindi articles are kept and
# tagged with their language (with `language_id: {allowed: [en]}` they are rejected 'language_id:not_allowed');
# the isiZulu notice is kept as language 'und' (script Latn): no language-specific rule judges it.
EXPECTED: dict[str, str | None] = {
    "boilerplate_cookies": "fineweb_quality:line_punct_ratio",
    "repetition_spam": "gopher_repetition:",
    "german_article": None,
    "pii_article": None,
    "blocklisted_domain": "url_blocklist:domain",
    "adult_words": "bad_words:too_many",
    "good_health": None,
    "good_sports": None,
    "good_software": None,
    "good_garden": None,
    "japanese_article": None,
    "hindi_article": None,
    "zulu_notice": None,
}

# Suggested URL paths on the demo server; the blocklisted one carries the blocked domain as a segment.
DEMO_URL_PATHS: dict[str, str] = {
    name: (f"/{BLOCKED_DOMAIN}/welcome.html" if name == "blocklisted_domain" else f"/articles/{name}.html")
    for name in DEMO_SAMPLES
}
