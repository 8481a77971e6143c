// Ready-to-run policies for the editor's menu. Each keeps the simulator's three facts of life
// (the skill at the ticket's level, on shift now, room for one more ticket) and changes the rest.

const FACTS = `# Facts of life: the skill at the ticket's level, on shift, room for one more ticket.
require skill:    engineer.skill(ticket.category) >= ticket.min_level
require on_shift: engineer.on_shift(now())
limit capacity:   engineer.open_tickets + assigned <= engineer.capacity`;

export const PRESETS = [
  {
    id: "balanced",
    label: "Balanced (the library's default)",
    source: `# The default dispatch policy: nearest qualified engineer, spreading the load.
policy "balanced" version 1

require reach: travel <= 50km
${FACTS}

# Cost, in points.
penalize distance        1 per km:     travel
penalize busy            2 per ticket: min(engineer.open_tickets, 100)
penalize overqualified 0.5 per level:  engineer.skill(ticket.category) - ticket.min_level

test "the nearest qualified engineer costs least" {
    ticket t { category: "network", min_level: 3, location: (52.0, 4.0) }
    engineer near { skills: { network: 3 }, location: (52.01, 4.0) }
    engineer far  { skills: { network: 3 }, location: (52.2, 4.0) }
    engineer weak { skills: { network: 2 }, location: (52.0, 4.0) }
    expect near accepted for t
    expect near preferred over far for t
    expect weak rejected for t by skill
}
`,
  },
  {
    id: "sla-first",
    label: "SLA first: escalate tickets close to breach",
    source: `# Tickets with less than two hours left jump the queue and go to someone close.
policy "sla-first" version 1

derive escalate when exists(ticket.sla_due) && ticket.sla_due - now() <= 2h {
    ticket.priority = P1
    ticket.escalated = true
}

require reach: travel <= 50km
require quick when ticket.escalated: travel_time <= 30min
speed 30km/h
${FACTS}

penalize distance 1 per km:     travel
penalize busy     2 per ticket: min(engineer.open_tickets, 100)
`,
  },
  {
    id: "experts",
    label: "Keep experts free for hard jobs",
    source: `# Send the least qualified engineer who can do the job; experts stay free for hard tickets.
policy "keep-experts-free" version 1

require reach: travel <= 50km
${FACTS}

penalize distance      1 per km:    travel
penalize overqualified 6 per level: engineer.skill(ticket.category) - ticket.min_level
`,
  },
  {
    id: "district",
    label: "Stay in your district",
    source: `# Engineers only take tickets in their own district (the ticket's district attribute).
policy "own-district" version 1

field ticket.district: string

require reach:    travel <= 50km
require district: engineer.territory ?? "" == ticket.district
${FACTS}

penalize distance 1 per km: travel
`,
  },
  {
    id: "continuity",
    label: "Customer continuity",
    source: `# The engineer who served the customer last is worth 15 km of driving.
policy "continuity" version 1

require reach: travel <= 50km
${FACTS}

penalize distance 1 per km: travel
prefer continuity 15 when exists(ticket.customer.last_engineer): ticket.customer.last_engineer == engineer.id
`,
  },
];
