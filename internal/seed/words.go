package seed

import "github.com/pic-montreal/relais/internal/domain"

// Word lists for the synthetic text. Sentences are built as subject + verb +
// object + complement, so the vocabulary is that of real progress notes while
// the combinations vary enough for full-text search to have work to do.

// synThemes are the synthetic themes: slug (prefixed "syn-"), French, English.
var synThemes = [][3]string{
	{"securite-alimentaire", "Sécurité alimentaire", "Food security"},
	{"logement", "Logement", "Housing"},
	{"reussite-educative", "Réussite éducative", "Educational success"},
	{"emploi", "Emploi", "Employment"},
	{"participation-citoyenne", "Participation citoyenne", "Civic participation"},
	{"mobilite", "Mobilité", "Mobility"},
	{"sante", "Santé", "Health"},
	{"amenagement-urbain", "Aménagement urbain", "Urban planning"},
	{"petite-enfance", "Petite enfance", "Early childhood"},
	{"accueil-immigration", "Accueil des personnes immigrantes", "Newcomer inclusion"},
	{"aines", "Aînés", "Older adults"},
	{"culture", "Culture et loisirs", "Culture and recreation"},
}

var synThemeSlugs = func() []string {
	out := make([]string, len(synThemes))
	for i, t := range synThemes {
		out[i] = t[0]
	}
	return out
}()

var placePrefixes = []string{"Saint-", "Sainte-", "Pointe-", "Côte-", "Mont-", "Parc-", "Bois-", "Val-", "Île-", "Rivière-", "Plateau-", "Haut-", "Bas-", "Cap-", "Anse-"}

var placeBases = []string{
	"Érables", "Tilleuls", "Ormes", "Bouleaux", "Cèdres", "Pins", "Saules", "Frênes", "Chênes", "Peupliers",
	"Aurore", "Bellerive", "Beauséjour", "Clairval", "Deux-Rives", "Fleuve", "Gareau", "Héritage", "Jardins",
	"Lumière", "Marronniers", "Noyers", "Outremont", "Prairies", "Quatre-Vents", "Rapides", "Sources", "Trembles",
	"Vallon", "Verger", "Hirondelles", "Moulins", "Carrières", "Écluses", "Tanneries", "Bassins", "Ateliers",
}

var boroughs = []string{
	"Arrondissement Nord (synthétique)", "Arrondissement Sud (synthétique)", "Arrondissement Est (synthétique)",
	"Arrondissement Ouest (synthétique)", "Arrondissement Centre (synthétique)", "Arrondissement du Fleuve (synthétique)",
	"Arrondissement des Rapides (synthétique)", "Arrondissement de la Montagne (synthétique)",
}

var firstNames = []string{
	"Camille", "Dominique", "Alex", "Sam", "Nadia", "Karim", "Élise", "Hélène", "Luc", "Sophie", "Amina", "Julie",
	"Marc", "Rosa", "Priya", "Arjun", "Fabienne", "Gilles", "Taylor", "Jordan", "Mélanie", "Youssef", "Thi Lan",
	"Jean-François", "Marie-Ève", "Guerline", "Carlos", "Fatou", "Olivier", "Chantal",
}

var supports = []string{
	"Accompagnement en évaluation développementale",
	"Coaching de l'équipe de coordination",
	"Formation en animation de démarches collectives",
	"Soutien-conseil en santé publique : données de quartier",
	"Prêt de locaux pour les activités communautaires",
	"Formation sur la gestion participative",
	"Accompagnement juridique pour un projet d'habitation",
	"Analyse des besoins et portrait de quartier",
}

var frStrategies = []string{
	"concertation intersectorielle", "mobilisation citoyenne", "plaidoyer municipal", "achats groupés",
	"cuisines collectives", "accompagnement des locataires", "aide aux devoirs", "stages rémunérés",
	"marches exploratoires", "jardins collectifs", "francisation", "médiation sociale", "budget participatif",
	"formation des intervenants", "évaluation développementale", "transport solidaire",
}

var enStrategies = []string{
	"cross-sector collaboration", "community organising", "advocacy", "bulk buying", "collective kitchens",
	"tenant support", "homework help", "paid internships", "safety walks", "community gardens",
	"French classes", "conflict mediation", "participatory budgeting", "staff training", "developmental evaluation",
}

func strategies(lang domain.Language) []string {
	if lang == domain.English {
		return enStrategies
	}
	return frStrategies
}

type wordList struct {
	subjects, verbs, objects, complements, clauses, people []string
	figure                                                 string // fmt: a number, then people
}

var frWords = wordList{
	subjects: []string{
		"Le comité logement", "L'épicerie solidaire", "La cuisine collective", "Notre Table", "Le comité de pilotage",
		"Le comité des résidents", "L'équipe d'intervention", "La halte-garderie", "Le groupe de citoyennes",
		"Le regroupement des partenaires", "Le jardin communautaire", "Le comité des aînés", "La clinique de proximité",
		"Le conseil jeunesse", "L'agente de liaison école-famille", "Le comité de locataires", "La coalition d'organismes",
		"Le groupe de pères", "Le comptoir alimentaire", "Le centre communautaire", "La maison des jeunes",
		"Le comité de sécurité urbaine", "L'équipe de francisation", "Le réseau d'entraide",
	},
	verbs: []string{
		"a organisé", "a lancé", "prépare", "a rencontré", "poursuit", "a évalué", "a mobilisé", "consolide",
		"a documenté", "planifie", "a présenté", "a obtenu", "a relancé", "coordonne", "a accueilli", "anime",
		"a terminé", "a élargi", "a négocié", "a proposé",
	},
	objects: []string{
		"une assemblée de quartier", "un atelier sur les droits des locataires", "une collecte de denrées",
		"la distribution de paniers de légumes", "un forum citoyen", "une démarche d'évaluation",
		"des ateliers de francisation", "un camp de jour", "une marche exploratoire", "un projet de logements sociaux",
		"des stages d'été rémunérés", "une formation sur l'accueil des familles", "un comité de cohabitation",
		"des boîtes à lunch pour les élèves", "une pétition pour un registre des loyers", "des achats groupés",
		"une navette pour les aînés", "un frigo partagé", "une cuisine collective intergénérationnelle",
		"un portrait de quartier", "un plan d'action sur la sécurité alimentaire", "une ruelle verte",
		"des séances d'aide aux devoirs", "un budget participatif", "une clinique d'impôts",
	},
	complements: []string{
		"avec les familles du secteur", "à l'école primaire", "au centre communautaire", "malgré la hausse des loyers",
		"grâce au soutien d'une fondation", "pour les aînés isolés", "près de la station de métro",
		"en collaboration avec le CLSC", "dans les habitations à loyer modique", "avec l'arrondissement",
		"pour les personnes nouvellement arrivées", "au sous-sol de l'église", "avec les commerçants de la rue principale",
		"dans le parc du quartier", "avec la bibliothèque", "pour les jeunes de 16 à 24 ans", "avec la santé publique",
		"malgré le manque de bénévoles", "pendant la canicule", "avant l'hiver", "à la demande des locataires",
		"dans le secteur Est", "avec la commission scolaire", "sur la rue des Érables",
	},
	clauses: []string{
		"ce qui a renforcé les liens entre organismes", "mais le financement reste incertain",
		"et la demande continue d'augmenter", "une première pour plusieurs participantes",
		"et les élus se sont engagés à répondre", "malgré un roulement de personnel",
		"ce qui change la dynamique avec les institutions", "et les familles osent davantage demander de l'aide",
		"mais les places manquent toujours", "et l'arrondissement étudie la proposition",
	},
	people: []string{"personnes", "familles", "élèves", "aînés", "jeunes", "locataires", "ménages", "parents"},
	figure: " : %d %s ont participé",
}

var enWords = wordList{
	subjects: []string{
		"The housing committee", "The food co-op", "The collective kitchen", "Our roundtable", "The steering committee",
		"The residents' committee", "The outreach team", "The drop-in daycare", "The women's group", "The partners' network",
		"The community garden", "The seniors' committee", "The health clinic", "The youth council",
		"The school liaison worker", "The tenants' association", "The coalition of organisations", "The food bank",
		"The community centre", "The youth centre", "The street safety committee", "The mutual aid network",
	},
	verbs: []string{
		"organised", "launched", "is preparing", "met with", "continued", "evaluated", "mobilised", "strengthened",
		"documented", "is planning", "presented", "secured", "relaunched", "coordinates", "welcomed", "runs",
		"completed", "expanded", "negotiated", "proposed",
	},
	objects: []string{
		"a neighbourhood assembly", "a tenant rights workshop", "a food drive", "the weekly vegetable baskets",
		"a citizen forum", "an evaluation process", "French classes for parents", "a summer day camp",
		"a safety walk", "a social housing project", "paid summer internships", "a training on welcoming families",
		"a coexistence committee", "lunch boxes for students", "a petition for a rent registry", "bulk buying",
		"a shuttle for seniors", "a community fridge", "an intergenerational kitchen", "a neighbourhood profile",
		"a food security action plan", "a green alley", "homework help sessions", "a participatory budget",
	},
	complements: []string{
		"with local families", "at the elementary school", "at the community centre", "despite rising rents",
		"with support from a foundation", "for isolated seniors", "near the metro station", "with the local clinic",
		"in public housing", "with the borough", "for newcomers", "in the church basement", "with local merchants",
		"in the neighbourhood park", "with the library", "for young people aged 16 to 24", "with public health",
		"despite a shortage of volunteers", "during the heat wave", "before winter", "at the tenants' request",
	},
	clauses: []string{
		"which strengthened ties between organisations", "but funding remains uncertain",
		"and demand keeps growing", "a first for several participants", "and elected officials promised an answer",
		"despite staff turnover", "which changes the dynamic with institutions",
		"and families are more willing to ask for help", "but spaces are still lacking",
		"and the borough is studying the proposal",
	},
	people: []string{"people", "families", "students", "seniors", "youths", "tenants", "households", "parents"},
	figure: ": %d %s took part",
}
