//! The console. The shell draws the frame (top bar, navigation, status bar) around one view at a time; views
//! implement `view::View`, are listed in `views::REGISTERED`, read the published snapshot through a per-frame
//! `view::ViewCtx` and send `control::Control`s, which the shell carries out in one place.

pub mod control;
pub mod error_panel;
pub mod land;
pub mod loading;
pub mod mirror_link;
pub mod real_encodes;
pub mod scenario_source;
pub mod selection;
pub mod shell;
pub mod site_inspector;
pub mod thumbnails;
pub mod view;
pub mod views;
pub mod widgets;
