"""Original article texts for the bundled freshdata demo web site.

Every article below was written specifically for this demo. The texts are plain prose with
paragraphs separated by a blank line, so they exercise the extraction, quality and
near-duplicate stages of the pipeline the same way real news pages would.
"""

from __future__ import annotations

import re


def _prose(raw: str) -> str:
    """Turn a hard-wrapped source block into paragraphs separated by one blank line."""
    paragraphs = [" ".join(block.split()) for block in raw.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


ARTICLES: list[dict] = [
    {
        "slug": "city-council-approves-bike-lanes",
        "title": "City Council Approves Protected Bike Lanes on Harbor Avenue",
        "author": "Marta Eldridge",
        "section": "news",
        "text": _prose(
            """
            After nearly four hours of public comment, the city council voted seven to two on Tuesday
            night to build protected bike lanes along the full length of Harbor Avenue. The plan
            replaces one lane of car traffic in each direction with a raised cycling path separated
            from the road by a low concrete curb.

            Supporters packed the chamber, many of them parents who said they would like their
            children to ride to school without sharing a busy street with delivery trucks. Several
            speakers described close calls at the intersection with Mill Street, where the avenue
            narrows and drivers often speed up to beat the light.

            Not everyone was pleased. A group of shop owners near the waterfront argued that losing
            curbside parking would hurt business during the summer season. Councilmember Dana Ruiz,
            who voted against the measure, said she supported safer streets in principle but worried
            that the timeline was too aggressive and that merchants had not been consulted early
            enough.

            To address those concerns, the final version includes a loading zone on every block and a
            promise to review parking demand after the first year. Public works staff estimate that
            construction will take about eight months and cost roughly three million dollars, most of
            which will come from a regional transportation grant awarded last spring.

            Mayor Oren Whitfield called the vote a turning point for how the city thinks about its
            streets. He noted that similar projects in neighboring towns had reduced crashes without
            the drop in retail sales that critics had predicted. Work on the first segment, between
            the ferry terminal and Lincoln Park, is expected to begin in early autumn.
            """
        ),
    },
    {
        "slug": "why-our-team-ships-smaller-releases",
        "title": "Why Our Team Stopped Waiting for the Big Release",
        "author": "Priya Nandakumar",
        "section": "tech",
        "text": _prose(
            """
            For years our engineering group shipped software the way many teams still do. We gathered
            features for a quarter, froze the branch, spent two anxious weeks testing, and then pushed
            everything out on a single weekend. The releases were memorable, and not in a good way.

            The turning point came when a minor change to a date parser broke invoicing for a handful
            of customers. Finding the culprit took three days because it was buried among more than
            four hundred other commits. Nobody had done anything careless. The batch was simply too
            large for anyone to reason about.

            We decided to try the opposite approach. Every merged change now goes through an automated
            pipeline that runs the test suite, builds a container image, and deploys it to a small
            slice of production traffic. If error rates stay flat for thirty minutes, the rollout
            continues on its own. If they rise, the system rolls back and pings the author.

            The first month was uncomfortable. Engineers had to write smaller pull requests and learn
            to hide unfinished work behind feature flags. Reviewers complained that they were seeing
            more requests than ever. Gradually, though, the rhythm settled, and reviews became faster
            because each diff fit comfortably on a screen.

            Today we deploy around twenty times a day, and incidents are both rarer and shorter. When
            something does go wrong, the list of suspects is usually one or two commits long. The
            biggest surprise has been cultural. People are less afraid of touching old code, because a
            mistake no longer waits in the dark for weeks before it surfaces.

            None of this required exotic tools. It required patience, good tests, and a willingness to
            treat deployment as a routine chore rather than a ceremony.
            """
        ),
    },
    {
        "slug": "astronomers-spot-water-vapor-on-distant-world",
        "title": "Astronomers Detect Signs of Water Vapor Around a Distant Planet",
        "author": "Tobias Wrenfield",
        "section": "science",
        "text": _prose(
            """
            A team of astronomers has reported faint but persistent signs of water vapor in the
            atmosphere of a planet orbiting a small red star roughly ninety light years from Earth.
            The planet, somewhat larger than our own, circles its host every nineteen days and is
            thought to be too warm to hold liquid oceans on its surface.

            The measurement relies on a technique known as transmission spectroscopy. When the planet
            passes in front of its star, a sliver of starlight filters through the thin shell of gas
            surrounding it. Molecules in that gas absorb specific colors of light, leaving a pattern
            that instruments on a space telescope can record over many separate transits.

            Lead researcher Amara Kovacs cautioned that the signal is modest. Red dwarf stars are
            restless, and dark spots on their surfaces can mimic some of the same features that water
            produces. Her group spent months modeling the star's activity before concluding that the
            vapor explanation remained the most likely one.

            Other scientists welcomed the result while urging patience. A colleague who was not
            involved in the study said the finding is exciting precisely because it can be tested.
            Additional observations scheduled for next year should either strengthen the case or
            reveal that stellar activity fooled the analysis.

            Planets around red dwarfs attract special attention because such stars are the most common
            in our galaxy. Understanding whether their planets can keep an atmosphere at all, despite
            frequent flares, is one of the central questions in the search for habitable worlds. Even
            a hot, steamy planet offers useful clues about how these systems form and evolve.
            """
        ),
    },
    {
        "slug": "rovers-snatch-late-winner-in-derby",
        "title": "Rovers Snatch Late Winner in Rain-Soaked Derby",
        "author": "Declan Hargreave",
        "section": "sports",
        "text": _prose(
            """
            Riverside Rovers left it until the final minute of stoppage time to beat their old rivals
            from across the valley on Saturday, as a header from substitute Kofi Mensah settled a tense
            and muddy derby by two goals to one.

            Heavy rain had fallen all morning, and the pitch resembled a ploughed field by the second
            half. Both sides struggled to string passes together. The visitors took the lead shortly
            before the break when a long throw caused chaos in the penalty area and their captain
            poked the loose ball home from close range.

            Rovers manager Sandra Holt made a double change at the interval, switching to a back three
            and pushing her wing backs higher. The adjustment paid off almost immediately. A sweeping
            move down the left ended with midfielder Luca Bertelli curling a shot into the far corner,
            and the home crowd found its voice again.

            The closing stages were frantic. The visiting goalkeeper made a superb double save to deny
            Rovers, and at the other end a shot struck the crossbar with the stadium holding its
            breath. Just as the fourth official raised his board, a corner from the right found Mensah
            unmarked, and he nodded it firmly past the keeper.

            Holt praised her squad for keeping their discipline in difficult conditions. She admitted
            afterward that the team had not played especially well, but said that winning ugly is
            sometimes part of a long season. The victory lifts Rovers into fourth place, level on
            points with the side directly above them, ahead of a trip to the league leaders next week.
            """
        ),
    },
    {
        "slug": "couch-to-half-marathon-lessons",
        "title": "What I Learned Going From the Couch to a Half Marathon",
        "author": "Jenna Castellano",
        "section": "health",
        "text": _prose(
            """
            Eighteen months ago I could barely jog to the end of my street without stopping to gasp.
            Last Sunday I crossed the finish line of a half marathon, sore and slow but grinning. The
            journey taught me that running has less to do with talent than with showing up on the days
            when motivation is nowhere to be found.

            My first mistake was going too fast. Like many beginners, I assumed every run should feel
            hard. A coach at a local club suggested that most of my weekly miles be done at a pace
            where I could still hold a conversation. It felt almost lazy at first, yet my endurance
            grew faster once I stopped exhausting myself.

            Rest turned out to matter as much as effort. Muscles and tendons adapt between sessions,
            not during them. When I ignored that and ran on consecutive days for two weeks straight, a
            nagging pain in my shin forced me to take a month off. After that, I built in easy days
            and a full day of rest without feeling guilty.

            Strength training was another surprise. Twenty minutes of squats, lunges and calf raises
            twice a week made my stride steadier and seemed to protect my knees on long downhill
            stretches. I also learned to practice eating and drinking on longer runs, since race day
            is a poor moment to discover that a particular energy gel upsets your stomach.

            Perhaps the most useful habit was keeping a simple training diary. Looking back at early
            entries, when a single mile felt heroic, helped me stay patient during plateaus. If you are
            thinking about starting, my advice is modest. Begin slower than you think you should, be
            consistent, and let the distance come to you.
            """
        ),
    },
    {
        "slug": "fiber-is-the-overlooked-nutrient",
        "title": "Fiber Is the Nutrient Most of Us Forget About",
        "author": "Helena Osterby",
        "section": "health",
        "text": _prose(
            """
            Protein gets the headlines and sugar gets the blame, but dietitians say that the nutrient
            most adults are actually missing is fiber. Surveys in several countries suggest that
            typical intake sits at roughly half of what health agencies recommend, a gap that has
            persisted for decades.

            Fiber is the part of plant foods that our own enzymes cannot break down. Some forms
            dissolve in water and turn into a gel that slows digestion, which helps keep blood sugar
            steadier after a meal. Other forms add bulk and keep the digestive tract moving. Both kinds
            feed the trillions of bacteria living in the gut, and those microbes produce compounds that
            appear to calm inflammation.

            Large population studies have linked higher fiber consumption with lower rates of heart
            disease, type two diabetes and colon cancer. Researchers caution that such studies cannot
            prove cause and effect on their own, yet the pattern is consistent and is supported by
            smaller controlled trials that measured cholesterol and insulin response directly.

            Registered dietitian Samuel Afolabi recommends adding fiber gradually to avoid bloating.
            Swapping white bread for whole grain, leaving the skin on potatoes, and tossing a handful
            of beans into soups or salads are easy places to start. He also suggests drinking more
            water as intake rises, since fiber works best when it has fluid to absorb.

            Supplements can help people with specific medical needs, but Afolabi prefers whole foods
            for most of his clients. A bowl of oats, an apple, and a serving of lentils deliver
            vitamins and minerals along with the fiber itself. The goal, he says, is not perfection
            but a steady shift toward meals built around plants.
            """
        ),
    },
    {
        "slug": "museum-opens-exhibition-of-woven-maps",
        "title": "Museum Unveils a Quiet, Dazzling Show of Woven Maps",
        "author": "Isadora Blom",
        "section": "culture",
        "text": _prose(
            """
            The new exhibition at the Northgate Museum of Art asks visitors to slow down. Spread across
            three dim galleries are forty tapestries and embroidered cloths that served, in their own
            time, as maps of rivers, trade routes, family lands and imagined kingdoms.

            Curator Wendell Ashcombe spent six years locating the pieces, some of which had never been
            displayed publicly. Several were found folded in church storerooms, while others came from
            private collections where they hung in hallways for generations. Conservators worked for
            months to stabilize fragile threads before the works could travel safely.

            The most striking object is a long linen panel stitched by a community of weavers along a
            northern coastline. Instead of showing distances accurately, it records how long each
            journey took by boat in different seasons, so a short crossing in winter appears wider
            than a longer trip in calm summer water. Standing before it, one begins to understand that
            a map can describe experience rather than geometry.

            Ashcombe has resisted the urge to crowd the walls with explanation. Labels are brief, and
            the lighting is kept low to protect the dyes, which gives the rooms a hushed, almost
            devotional atmosphere. A small reading corner at the end offers books on textile history
            for anyone who wants to go deeper.

            The show is not without gaps. Only a few pieces come from outside Europe, and the catalog
            acknowledges that this reflects the limits of what could be borrowed rather than what
            exists. Even so, it is a rare and thoughtful exhibition, and it rewards anyone willing to
            linger over a single stitch. It remains open through the end of February.
            """
        ),
    },
    {
        "slug": "review-the-lighthouse-keepers-daughter",
        "title": "Film Review: The Lighthouse Keeper's Daughter",
        "author": "Rafael Montague",
        "section": "culture",
        "text": _prose(
            """
            There is a moment about halfway through The Lighthouse Keeper's Daughter when the camera
            simply holds on a young woman watching a storm roll in across grey water. Nothing happens
            for almost a full minute, and yet it is the most gripping scene in a film that understands
            the power of stillness.

            Directed by newcomer Ines Vautrin, the drama follows Maren, a teenager raised on a remote
            rocky island by a father who tends the light. When a government letter announces that the
            lighthouse will be automated, the pair must face the prospect of leaving the only home
            either of them has known. Their quiet arguments carry more weight than most shouting
            matches in louder movies.

            Newcomer Saoirse Lindqvist gives a remarkable performance as Maren, conveying stubborn
            pride and private fear mostly through her eyes. Veteran actor Gregor Haas matches her as
            the father, a man whose gruffness barely hides his grief for a wife who died years
            earlier. The scenes between them feel lived in rather than written.

            The cinematography deserves special praise. Shot largely in natural light, the film
            captures the shifting colors of sea and sky with a painter's patience. The sparse score,
            built around a single cello, rarely tells the audience what to feel.

            If there is a weakness, it lies in a subplot involving a visiting inspector that feels
            underdeveloped and slightly predictable. Some viewers may also find the pacing too
            deliberate. Those willing to settle into its rhythm, however, will discover a tender and
            beautifully observed story about change, loyalty and the courage to let go. It is one of
            the most assured debuts of the year.
            """
        ),
    },
    {
        "slug": "mild-winter-leaves-ski-slopes-bare",
        "title": "A Mild Winter Leaves Ski Slopes Bare and Farmers Worried",
        "author": "Nils Ambrose",
        "section": "science",
        "text": _prose(
            """
            For the third time in five years, the mountain resorts north of the valley have opened
            late, their lower runs showing brown grass in what should be the heart of the snow season.
            Meteorologists say the past two months have been among the warmest on record for the
            region.

            The regional weather service reports that average temperatures in December and January ran
            more than two degrees above the long term norm. Precipitation was close to normal, but much
            of it fell as rain rather than snow at elevations below fifteen hundred meters. That
            distinction matters enormously, both for skiers and for the people who depend on spring
            meltwater.

            Climatologist Ruth Okonkwo explained that a persistent pattern of southern winds brought
            mild, moist air into the mountains repeatedly this winter. Natural variability plays a
            part in any single season, she said, but the broader trend toward warmer winters is
            consistent with what climate models have projected for decades as greenhouse gases
            accumulate.

            Farmers in the lowlands are watching closely. Many orchards rely on a reliable snowpack
            that releases water slowly through April and May. A thin snowpack followed by a dry spring
            could force early irrigation limits, as happened two summers ago when several villages
            restricted garden watering.

            Resort operators are adapting where they can. Some have invested in snowmaking equipment,
            though it requires cold nights to work efficiently. Others are expanding summer hiking and
            mountain biking to reduce their dependence on a shrinking winter. Local officials say they
            will meet with water managers next month to review drought plans before the growing season
            begins.
            """
        ),
    },
    {
        "slug": "building-an-emergency-fund-step-by-step",
        "title": "Building an Emergency Fund Without Feeling Deprived",
        "author": "Gideon Parrish",
        "section": "news",
        "text": _prose(
            """
            Financial planners repeat one piece of advice more than almost any other: set aside money
            for the unexpected before worrying about investing. Yet many households still have little
            or nothing saved, and a broken car or a sudden dental bill can push them into expensive
            debt.

            The usual target is enough cash to cover three to six months of essential expenses. That
            number can feel impossibly large, which is why planner Lucia Fernhill encourages clients to
            begin with a smaller milestone. Reaching the first thousand dollars, she says, changes how
            people feel about money, because a minor crisis no longer becomes a major one.

            Automation is the most reliable tool. Fernhill suggests scheduling a transfer into a
            separate savings account on the same day each paycheck arrives, even if the amount is
            modest. Money that never lands in a checking account is far less likely to be spent on
            impulse. Many banks allow customers to nickname accounts, and calling it something like
            car repairs can make the purpose feel concrete.

            Where to keep the fund is also important. It should be easy to reach within a day or two
            but not so convenient that it blends into everyday spending. A high yield savings account
            at an insured bank often strikes the right balance, paying some interest while keeping the
            principal safe from market swings.

            Windfalls offer a chance to accelerate progress. Tax refunds, bonuses and gifts can be
            split so that part goes toward the fund and part is enjoyed. Fernhill stresses that the
            process should not feel like punishment. A realistic plan that survives for years beats an
            ambitious one abandoned after a month.
            """
        ),
    },
    {
        "slug": "slow-train-along-the-southern-coast",
        "title": "Taking the Slow Train Along the Southern Coast",
        "author": "Camille Ostrander",
        "section": "culture",
        "text": _prose(
            """
            The little regional train that hugs the southern coast does not hurry. It stops at every
            fishing village, waits patiently on single track sidings for trains coming the other way,
            and takes nearly six hours to cover a distance a car could manage in half that time. That
            is exactly its charm.

            I boarded at the eastern terminus on a bright morning in late spring, carrying a paperback
            and a bag of apricots bought from a stall outside the station. The carriages were old but
            spotless, with windows that actually opened. Within twenty minutes the line had climbed
            onto a ledge above the sea, and the water below shifted from deep blue to pale green over
            sandy coves.

            Fellow passengers changed with every stop. Schoolchildren got on in one town and off in
            the next, an elderly couple shared bread and cheese with anyone nearby, and a group of
            hikers spilled out at a halt with no village in sight, heading for a cliff path. The
            conductor seemed to know half of them by name.

            I broke the journey overnight in a harbor town whose narrow lanes smelled of salt and
            grilled sardines. A guesthouse above a bakery offered a simple room with a balcony, and I
            fell asleep to the sound of boats knocking gently against the quay.

            Travelers short on time will find faster routes. But anyone who enjoys watching a
            landscape unfold slowly, and who does not mind an unplanned delay or two, should consider
            this journey. Buy a flexible ticket, sit on the seaward side, and leave the schedule loose
            enough to step off wherever a beach looks inviting.
            """
        ),
    },
    {
        "slug": "school-reading-buddies-program-expands",
        "title": "Reading Buddies Program Expands to Every Elementary School",
        "author": "Theodora Vance",
        "section": "news",
        "text": _prose(
            """
            A reading program that pairs older students with younger ones will expand to all eleven
            elementary schools in the district next fall, the school board announced this week. The
            initiative began three years ago as an experiment at a single school on the east side.

            The idea is simple. Once a week, fifth graders spend half an hour reading aloud with first
            and second graders, taking turns with picture books and early chapter books. Teachers
            provide short training sessions so the older children learn how to encourage a struggling
            reader without simply supplying the missing word.

            Principal Howard Lindgren, whose school piloted the effort, said the results surprised even
            the staff. Younger participants showed stronger gains on reading assessments than
            classmates who did not take part. Equally striking, he said, was the change in the older
            students, several of whom had been reluctant readers themselves and became far more
            confident after being treated as mentors.

            Parents have noticed as well. One mother told the board that her son, who used to avoid
            books entirely, now insists on practicing so that he can read well to his buddy. Teachers
            also report fewer conflicts on the playground, which they attribute to friendships that
            form across grade levels.

            Expanding the program will cost relatively little, mostly for new classroom libraries and
            a part time coordinator who will support teachers at each site. The board approved the
            funding unanimously. District officials plan to track reading scores over the next two
            years to determine whether the early results hold up when the program operates at a much
            larger scale.
            """
        ),
    },
    {
        "slug": "my-grandmothers-lentil-soup",
        "title": "The Lentil Soup My Grandmother Never Wrote Down",
        "author": "Anselm Duarte",
        "section": "culture",
        "text": _prose(
            """
            My grandmother made lentil soup every Thursday for as long as I can remember, and she never
            once measured anything. When I finally asked her to teach me, she laughed and told me to
            stand next to the stove and pay attention. This is my best attempt to capture what I saw.

            She began with olive oil warming in a heavy pot, enough to coat the bottom generously.
            Into it went a chopped onion, a couple of carrots cut into small coins, and a stalk of
            celery. She let them soften slowly over low heat, stirring now and then, until the kitchen
            smelled sweet and the onion turned translucent. Rushing this stage, she insisted, was the
            most common mistake.

            Next came garlic, sliced thin, along with a spoonful of tomato paste that she cooked for a
            minute until it darkened slightly. Then she added a generous cup of brown lentils, rinsed
            in a sieve, and poured in water until it rose about two fingers above the vegetables. A
            bay leaf and a pinch of cumin followed, and the pot was left to simmer gently for roughly
            forty minutes.

            The final touches were what made it hers. When the lentils were tender, she stirred in a
            handful of chopped spinach and let it wilt. Just before serving, she squeezed half a lemon
            over the pot and added salt a little at a time, tasting after each addition. The lemon,
            she explained, wakes everything up.

            She always served it with thick slices of toasted bread rubbed with garlic. I have made
            this soup dozens of times now, and it is never quite the same as hers. Still, every time
            the smell fills my own kitchen, I hear her telling me to slow down.
            """
        ),
    },
    {
        "slug": "new-tram-line-cuts-commute-times",
        "title": "First Month of the Eastern Tram Line Cuts Commute Times",
        "author": "Bettina Kraus",
        "section": "news",
        "text": _prose(
            """
            One month after the eastern tram line opened, ridership has already exceeded the figures
            transit planners expected to reach by the end of its first year. Around fourteen thousand
            people now board the new trams on an average weekday, according to the regional transit
            authority.

            The line runs for nine kilometers from the central station to the growing neighborhoods
            around the old airfield, with stops roughly every six hundred meters. Trams arrive every
            five minutes during rush hours and every ten minutes in the evening. For many residents of
            the eastern districts, a trip downtown that once required a crowded bus and a transfer now
            takes about twenty minutes without changing vehicles.

            Commuters interviewed at the Foundry Square stop were largely positive. A nurse who works
            night shifts said she appreciates the late service, which continues until well after
            midnight on weekends. A retired engineer praised the level boarding platforms, which make
            it easy to roll a shopping trolley or wheelchair straight onto the car.

            There have been teething problems. Signal faults caused delays on two mornings during the
            second week, and some drivers complained that new traffic light timing on Canal Road has
            made crossing the corridor slower by car. The authority says engineers are fine tuning the
            signals and expect the issues to ease.

            Planners are now studying an extension that would carry the line further east to a
            hospital campus and a large business park. A public consultation on route options is
            expected later this year. Officials say early demand strengthens their case for securing
            national funding to complete the project.
            """
        ),
    },
    {
        "slug": "growing-tomatoes-in-small-spaces",
        "title": "Growing Tomatoes When All You Have Is a Balcony",
        "author": "Winifred Achterberg",
        "section": "science",
        "text": _prose(
            """
            You do not need a backyard to grow a respectable crop of tomatoes. A sunny balcony, a few
            sturdy containers and some attention through the summer can produce more fruit than a
            small household can eat, provided you choose the right plants and give them what they
            need.

            Variety matters more than anything else. Compact types, sometimes labeled as patio or dwarf
            tomatoes, stay under a meter tall and rarely need elaborate staking. Cherry tomatoes are
            especially forgiving because they ripen quickly and keep producing until the weather turns
            cold. Large beefsteak varieties can work in pots, but they demand deep containers and a
            strong cage.

            Light is the other non negotiable requirement. Tomatoes want at least six hours of direct
            sun each day, and eight is better. A balcony facing south or west is ideal. Gardeners with
            shadier spots may still succeed with herbs or leafy greens, yet they will likely be
            disappointed by tomatoes that flower poorly and ripen late.

            Containers dry out far faster than garden beds, so watering becomes a daily habit in hot
            weather. Irregular watering is a common cause of cracked fruit and blossom end rot, the
            dark leathery patch that sometimes appears at the base of a tomato. A layer of mulch on
            top of the soil helps hold moisture, and a pot with drainage holes prevents roots from
            sitting in water.

            Feeding rounds out the routine. A balanced fertilizer every couple of weeks keeps plants
            productive once they begin to set fruit. By late summer, a well tended balcony can offer a
            steady supply of sweet, sun warmed tomatoes, picked only moments before they reach the
            table.
            """
        ),
    },
    {
        "slug": "review-aurion-studio-headphones",
        "title": "Review: Aurion Studio Wireless Headphones",
        "author": "Malik Sorensen",
        "section": "tech",
        "text": _prose(
            """
            The Aurion Studio headphones arrive in a market already crowded with capable wireless
            models, and they do not try to reinvent the category. Instead, they focus on comfort,
            balanced sound and a battery that refuses to quit. After three weeks of daily use, I can
            report that they mostly succeed.

            Comfort is the standout feature. The ear cushions are deep and covered in a soft fabric
            that breathes better than the usual synthetic leather, so long listening sessions never
            left my ears hot. The headband applies gentle pressure, and at roughly two hundred
            seventy grams the headphones are light enough to forget about during a long train ride.

            Sound quality leans toward neutral rather than flashy. Bass is present and controlled
            without overwhelming the midrange, which makes vocals and acoustic instruments sound
            natural. Listeners who prefer a heavy, booming low end may find them a little restrained,
            though the companion app includes an equalizer for anyone who wants more punch.

            Noise cancellation is good but not class leading. It handles the steady drone of an
            airplane cabin very well, while sudden sounds such as nearby conversation still slip
            through. The microphones for calls performed adequately indoors, although a friend on the
            other end said my voice sounded thin when I walked along a windy street.

            Battery life is excellent. I managed close to forty hours with noise cancellation switched
            on, and a ten minute charge provided several more hours when I forgot to plug them in
            overnight. The touch controls on the right ear cup took some getting used to, and I
            occasionally paused music by accident while adjusting the fit. Overall, these are a
            sensible choice for commuters who value comfort and endurance above headline features.
            """
        ),
    },
    {
        "slug": "the-canal-that-built-the-town",
        "title": "The Forgotten Canal That Built Our Town",
        "author": "Bartholomew Greaves",
        "section": "culture",
        "text": _prose(
            """
            Few residents who walk along the grassy path behind the old mill realize that they are
            following the bed of a canal that once carried the wealth of the entire district. Two
            centuries ago, this quiet strip of ground was a busy waterway crowded with narrow barges
            hauling coal, timber and grain.

            The canal was dug by hand between eighteen twenty and eighteen twenty six, largely by
            laborers who traveled from distant counties in search of work. Contemporary accounts
            describe camps of several hundred men living in rough huts beside the cutting. Disease
            and accidents were common, and a small memorial stone near the lock keeper's cottage
            records the names of those who died during construction.

            Once the waterway opened, the effect on the town was dramatic. Coal could suddenly be
            delivered at a fraction of its former cost, which allowed the mill to switch from water
            wheels to steam engines. Warehouses sprang up along the wharf, inns opened to serve
            boatmen, and the population tripled within a generation.

            The boom did not last. When the railway arrived in the eighteen fifties, freight shifted to
            the faster and more reliable trains. Traffic on the canal dwindled year by year until the
            last commercial barge passed through shortly before the First World War. Sections were
            later filled in, and the lock gates rotted away.

            Today a volunteer heritage society is working to restore a short stretch near the mill,
            clearing vegetation and rebuilding one of the lock chambers. Members hope that visitors
            will come to appreciate how much the modern town owes to a muddy ditch dug by
            determined hands so long ago.
            """
        ),
    },
    {
        "slug": "neighbors-turn-out-for-river-cleanup-day",
        "title": "Hundreds of Neighbors Turn Out for River Cleanup Day",
        "author": "Rosalind Achebe",
        "section": "news",
        "text": _prose(
            """
            More than three hundred volunteers spent Saturday morning wading through shallows and
            combing muddy banks during the annual river cleanup organized by the Willow Bend
            Neighborhood Association. By early afternoon they had filled a small mountain of bags
            lined up beside the boat ramp.

            Organizer Felix Brandt said this year drew the largest crowd since the event began a
            decade ago. Families arrived with children in rubber boots, a local scout troop handled
            sorting, and a group of students from the nearby college counted every item for a survey
            that tracks pollution over time. Plastic bottles and food wrappers were the most common
            finds, as in past years.

            Some discoveries were stranger. Volunteers pulled out two shopping carts, a rusted bicycle,
            an old traffic cone and, to general amusement, a garden gnome with a chipped hat. The gnome
            was promptly adopted as an unofficial mascot and posed for pictures throughout the day.

            The cleanup ended with a shared lunch in the park, where a bakery on Elm Street donated
            bread and a community garden supplied salad. A bluegrass band from the senior center
            played under the trees while volunteers compared blisters and swapped stories about the
            muckiest corners of the riverbank.

            Brandt hopes the event will inspire lasting habits rather than a single burst of effort.
            The association is asking the city to install more bins near the footbridge, where litter
            tends to gather, and it plans to hold smaller monthly cleanups through the summer. He said
            that seeing so many neighbors working together reminded him why he loves living here.
            """
        ),
    },
]


_PARTNER_NOTE = "This story was first published by our partner newsroom."

# Wording swaps a syndication partner's copy desk might make. Only the first one that matches an
# article is applied, and only once, so the edited copy stays a near duplicate of the original.
_WORD_SWAPS: tuple[tuple[str, str], ...] = (
    (r"\bthe city\b", "the town"),
    (r"\bthe town\b", "the city"),
    (r"\bsaid\b", "noted"),
    (r"\bsays\b", "notes"),
    (r"\bvery\b", "really"),
    (r"\bsmall\b", "little"),
    (r"\blarge\b", "big"),
)

_NUMBER_WORDS: tuple[tuple[str, str], ...] = (
    ("three", "four"),
    ("two", "three"),
    ("four", "five"),
    ("six", "seven"),
    ("ten", "eleven"),
    ("twenty", "thirty"),
)


def syndicated_edit(text: str) -> str:
    """Return a lightly edited copy of ``text`` as a syndication partner would publish it.

    The edit is deterministic: one wording swap, one number changed, and a short attribution
    sentence appended to the last paragraph. Roughly one to two percent of the words change, so the
    copy remains a near duplicate of the original under word 5-gram Jaccard similarity.
    """
    edited = text
    for pattern, replacement in _WORD_SWAPS:
        edited, count = re.subn(pattern, replacement, edited, count=1)
        if count:
            break
    for old, new in _NUMBER_WORDS:
        edited, count = re.subn(rf"\b{old}\b", new, edited, count=1)
        if count:
            break
    edited = edited.rstrip()
    return f"{edited} {_PARTNER_NOTE}"
