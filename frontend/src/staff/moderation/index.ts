/** The staff app's moderation view: the list (view), its rows (row), a photo's black-out tool
 * (photo-editor) and the pages of tickets it shows (entries). */
export { flagged, MODERATION_PAGE, type ModerationPage, unpublished } from "./entries";
export { placeText } from "./row";
export { moderationView } from "./view";
