package domain

// Condition is one of the six conditions of systems change
// (Kania, Kramer & Senge, 2018) a progress note can be tagged with.
type Condition string

const (
	Policies      Condition = "policies"
	Practices     Condition = "practices"
	ResourceFlows Condition = "resource_flows"
	Relationships Condition = "relationships"
	PowerDynamics Condition = "power_dynamics"
	MentalModels  Condition = "mental_models"
)

// Conditions lists the six conditions in the framework's order.
var Conditions = []Condition{Policies, Practices, ResourceFlows, Relationships, PowerDynamics, MentalModels}

var conditionNames = map[Condition][2]string{
	Policies:      {"politiques", "policies"},
	Practices:     {"pratiques", "practices"},
	ResourceFlows: {"flux de ressources", "resource flows"},
	Relationships: {"relations et connexions", "relationships and connections"},
	PowerDynamics: {"dynamiques de pouvoir", "power dynamics"},
	MentalModels:  {"modèles mentaux", "mental models"},
}

// Valid reports whether c is one of the six conditions.
func (c Condition) Valid() bool { _, ok := conditionNames[c]; return ok }

// Name returns the condition's name in lang.
func (c Condition) Name(lang Language) string {
	n, ok := conditionNames[c]
	if !ok {
		return string(c)
	}
	if lang == English {
		return n[1]
	}
	return n[0]
}
