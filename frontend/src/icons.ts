/** Simple text icons for categories (decorative; the name is the label). */
const ICONS: Record<string, string> = {
  pothole: "🕳️",
  sidewalk: "🚶",
  sign: "🚧",
  lamp: "💡",
  trash: "🗑️",
  bin: "🗑",
  broom: "🧹",
  spray: "🎨",
  tree: "🌳",
  playground: "🛝",
  car: "🚗",
  other: "❓",
};

export function categoryIcon(icon: string): string {
  return ICONS[icon] ?? "📍";
}
